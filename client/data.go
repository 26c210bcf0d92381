package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// DataService is the work-management data API (Clarizen REST v2 shape):
// authentication, metadata discovery, entity queries, counts, aggregates,
// CZQL queries, single objects and several objects by id.
type DataService struct {
	api *dataapi.ClientWithResponses
}

// GetServerDefinition asks which server hosts the user's organisation. Its
// ServerLocation may be given to New as the base URL.
func (s *DataService) GetServerDefinition(ctx context.Context, req dataapi.ServerDefinitionRequest, opts ...CallOption) (*dataapi.ServerDefinition, error) {
	return sendJSON[dataapi.ServerDefinition](ctx, DataAPI, "getServerDefinition", opts, func(ctx context.Context) (*dataapi.GetServerDefinitionResponse, error) {
		return s.api.GetServerDefinitionWithResponse(ctx, req)
	})
}

// Login starts a session. Most callers use auth.NewSession instead, which
// logs in, sends the session id and logs in again when it times out.
func (s *DataService) Login(ctx context.Context, req dataapi.LoginRequest, opts ...CallOption) (*dataapi.LoginResult, error) {
	return sendJSON[dataapi.LoginResult](ctx, DataAPI, "login", opts, func(ctx context.Context) (*dataapi.LoginResponse, error) {
		return s.api.LoginWithResponse(ctx, req)
	})
}

// GetSessionInfo describes the caller's session or API key.
func (s *DataService) GetSessionInfo(ctx context.Context, opts ...CallOption) (*dataapi.SessionInfo, error) {
	return sendJSON[dataapi.SessionInfo](ctx, DataAPI, "getSessionInfo", opts, func(ctx context.Context) (*dataapi.GetSessionInfoResponse, error) {
		return s.api.GetSessionInfoWithResponse(ctx)
	})
}

// Logout ends the caller's session.
func (s *DataService) Logout(ctx context.Context, opts ...CallOption) error {
	_, err := send(ctx, DataAPI, "logout", opts, func(ctx context.Context) (*dataapi.LogoutResponse, error) {
		return s.api.LogoutWithResponse(ctx)
	})
	return err
}

// EntityQuery reads one page of entities. To read the next page, send the
// returned Paging back unchanged; EntityQueryAll does that for you.
func (s *DataService) EntityQuery(ctx context.Context, req dataapi.EntityQueryRequest, opts ...CallOption) (*dataapi.EntityQueryResult, error) {
	return sendJSON[dataapi.EntityQueryResult](ctx, DataAPI, "entityQuery", opts, func(ctx context.Context) (*dataapi.EntityQueryResponse, error) {
		rsp, err := s.api.ClientInterface.EntityQuery(ctx, req)
		if err != nil {
			return nil, err
		}
		return parseEntityPage(rsp, dataapi.ParseEntityQueryResponse)
	})
}

// EntityQueryAll iterates over every entity req matches, page by page. The
// caller's req is not modified. It yields an error at most once, then stops.
func (s *DataService) EntityQueryAll(ctx context.Context, req dataapi.EntityQueryRequest, opts ...CallOption) iter.Seq2[dataapi.Entity, error] {
	return entityPages("entityQuery", req.Paging, func(p *dataapi.Paging) (*dataapi.EntityQueryResult, error) {
		r := req
		r.Paging = p
		return s.EntityQuery(ctx, r, opts...)
	})
}

// RelationQuery reads one page of the entities related to one entity
// through one of its relations (data/relationQuery): req.EntityId is the
// entity ("/Project/5"), req.RelationName the relation ("Tasks"). Only the
// related entities the caller may see are returned and counted. To read
// the next page, send the returned Paging back unchanged;
// RelationQueryAll does that for you.
func (s *DataService) RelationQuery(ctx context.Context, req dataapi.RelationQueryRequest, opts ...CallOption) (*dataapi.EntityQueryResult, error) {
	return sendJSON[dataapi.EntityQueryResult](ctx, DataAPI, "relationQuery", opts, func(ctx context.Context) (*dataapi.RelationQueryResponse, error) {
		return s.api.RelationQueryWithResponse(ctx, req)
	})
}

// RelationQueryAll iterates over every entity related to req.EntityId
// through req.RelationName, page by page. The caller's req is not
// modified. It yields an error at most once, then stops.
func (s *DataService) RelationQueryAll(ctx context.Context, req dataapi.RelationQueryRequest, opts ...CallOption) iter.Seq2[dataapi.Entity, error] {
	return entityPages("relationQuery", req.Paging, func(p *dataapi.Paging) (*dataapi.EntityQueryResult, error) {
		r := req
		r.Paging = p
		return s.RelationQuery(ctx, r, opts...)
	})
}

// Related reads the member a relation of an entity query (the Relations
// of an EntityQueryRequest or RelationQueryRequest) added to e: the
// related entities the caller may see, at most the spec's
// x-related-page-limit of them, and their paging (HasMore when more
// follow; RelationQuery reads them all). ok is false when e has no such
// member.
func Related(e dataapi.Entity, relation string) (rel dataapi.RelatedEntities, ok bool, err error) {
	v, ok := e.AdditionalProperties[relation]
	if !ok {
		return rel, false, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return rel, true, err
	}
	if err := json.Unmarshal(b, &rel); err != nil {
		return rel, true, fmt.Errorf("tenantkit: relation %s of %s: %w", relation, e.Id, err)
	}
	return rel, true, nil
}

// EntityQueryGet is the GET form of EntityQuery: the where condition is CZQL
// text and orders are "Field [ASC|DESC]", comma-separated.
func (s *DataService) EntityQueryGet(ctx context.Context, params dataapi.EntityQueryGetParams, opts ...CallOption) (*dataapi.EntityQueryResult, error) {
	return sendJSON[dataapi.EntityQueryResult](ctx, DataAPI, "entityQueryGet", opts, func(ctx context.Context) (*dataapi.EntityQueryGetResponse, error) {
		return s.api.EntityQueryGetWithResponse(ctx, &params)
	})
}

// Query runs a CZQL query and returns one page
// (SELECT fields FROM Type [WHERE ...] [ORDER BY ...] [LIMIT n]).
func (s *DataService) Query(ctx context.Context, req dataapi.QueryRequest, opts ...CallOption) (*dataapi.EntityQueryResult, error) {
	return sendJSON[dataapi.EntityQueryResult](ctx, DataAPI, "query", opts, func(ctx context.Context) (*dataapi.EntityQueryResponse, error) {
		rsp, err := s.api.ClientInterface.Query(ctx, req)
		if err != nil {
			return nil, err
		}
		return parseEntityPage(rsp, parseQueryAsEntityQuery)
	})
}

// QueryAll iterates over every entity a CZQL query returns, page by page.
// The caller's req is not modified. It yields an error at most once.
func (s *DataService) QueryAll(ctx context.Context, req dataapi.QueryRequest, opts ...CallOption) iter.Seq2[dataapi.Entity, error] {
	return entityPages("query", req.Paging, func(p *dataapi.Paging) (*dataapi.EntityQueryResult, error) {
		r := req
		r.Paging = p
		return s.Query(ctx, r, opts...)
	})
}

// entityPages follows the data API's paging for operation op: it reads the
// page at first, then sends each returned paging object back unchanged
// until hasMore is false.
func entityPages(op string, first *dataapi.Paging, read func(*dataapi.Paging) (*dataapi.EntityQueryResult, error)) iter.Seq2[dataapi.Entity, error] {
	return pages(op, first, func(p *dataapi.Paging) ([]dataapi.Entity, dataapi.Paging, error) {
		page, err := read(p)
		if err != nil {
			return nil, dataapi.Paging{}, err
		}
		return page.Entities, page.Paging, nil
	})
}

// pages iterates over the items of a data API query, page by page: read
// answers one page's items and paging; each returned paging object is sent
// back unchanged until hasMore is false.
func pages[T any](op string, first *dataapi.Paging, read func(*dataapi.Paging) ([]T, dataapi.Paging, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		paging := first
		prog := progress{api: DataAPI, op: op}
		for {
			items, got, err := read(paging)
			if err != nil {
				yield(zero, prog.failed(err, "paging.from="+strconv.Itoa(pagingFrom(paging))))
				return
			}
			prog.pages++
			if !yieldAll(&prog, items, yield) {
				return
			}
			next, err := nextPaging(DataAPI, op, paging, got, len(items))
			if err != nil {
				yield(zero, err)
				return
			}
			if next == nil {
				return
			}
			paging = next
		}
	}
}

// GetObject reads one entity. id is the entity id's last segment ("123"); a
// full id ("/Project/123") is accepted too.
func (s *DataService) GetObject(ctx context.Context, typeName, id string, params *dataapi.GetObjectParams, opts ...CallOption) (*dataapi.Entity, error) {
	return sendJSON[dataapi.Entity](ctx, DataAPI, "getObject", opts, func(ctx context.Context) (*dataapi.GetObjectResponse, error) {
		return s.api.GetObjectWithResponse(ctx, typeName, entityKey(id), params)
	})
}

// CreateObject creates an entity of typeName with the given field values and
// returns its id.
func (s *DataService) CreateObject(ctx context.Context, typeName string, values dataapi.EntityValues, opts ...CallOption) (*dataapi.CreateResult, error) {
	return sendJSON[dataapi.CreateResult](ctx, DataAPI, "createObject", opts, func(ctx context.Context) (*dataapi.CreateObjectResponse, error) {
		return s.api.CreateObjectWithResponse(ctx, typeName, values)
	})
}

// UpdateObject sets the given fields of one entity (id as in GetObject).
func (s *DataService) UpdateObject(ctx context.Context, typeName, id string, values dataapi.EntityValues, opts ...CallOption) error {
	_, err := send(ctx, DataAPI, "updateObject", opts, func(ctx context.Context) (*dataapi.UpdateObjectResponse, error) {
		return s.api.UpdateObjectWithResponse(ctx, typeName, entityKey(id), values)
	})
	return err
}

// DeleteObject deletes one entity (id as in GetObject).
func (s *DataService) DeleteObject(ctx context.Context, typeName, id string, opts ...CallOption) error {
	_, err := send(ctx, DataAPI, "deleteObject", opts, func(ctx context.Context) (*dataapi.DeleteObjectResponse, error) {
		return s.api.DeleteObjectWithResponse(ctx, typeName, entityKey(id))
	})
	return err
}

// ListEntities names the entity types the caller may read through the API
// (metadata/listEntities).
func (s *DataService) ListEntities(ctx context.Context, opts ...CallOption) ([]string, error) {
	res, err := sendJSON[dataapi.ListEntitiesResult](ctx, DataAPI, "listEntities", opts, func(ctx context.Context) (*dataapi.ListEntitiesResponse, error) {
		return s.api.ListEntitiesWithResponse(ctx)
	})
	if err != nil {
		return nil, err
	}
	return res.TypeNames, nil
}

// DescribeEntities describes the fields of the given entity types, in the
// order given (metadata/describeEntities). A type that does not exist and
// one the caller may not read are the same *ValidationError.
func (s *DataService) DescribeEntities(ctx context.Context, typeNames []string, opts ...CallOption) ([]dataapi.EntityDescription, error) {
	res, err := sendJSON[dataapi.DescribeEntitiesResult](ctx, DataAPI, "describeEntities", opts, func(ctx context.Context) (*dataapi.DescribeEntitiesResponse, error) {
		return s.api.DescribeEntitiesWithResponse(ctx, &dataapi.DescribeEntitiesParams{TypeNames: typeNames})
	})
	if err != nil {
		return nil, err
	}
	return res.EntityDescriptions, nil
}

// DescribeMetadata describes entity types (metadata/describeMetadata): the
// params' TypeNames, or every type the caller may read when nil; Flags
// "fields" adds each type's fields. params may be nil.
func (s *DataService) DescribeMetadata(ctx context.Context, params *dataapi.DescribeMetadataParams, opts ...CallOption) ([]dataapi.EntityDescription, error) {
	res, err := sendJSON[dataapi.DescribeEntitiesResult](ctx, DataAPI, "describeMetadata", opts, func(ctx context.Context) (*dataapi.DescribeMetadataResponse, error) {
		return s.api.DescribeMetadataWithResponse(ctx, params)
	})
	if err != nil {
		return nil, err
	}
	return res.EntityDescriptions, nil
}

// CountQuery counts the entities an entity query matches among those the
// caller may see (data/countQuery): the same rows EntityQueryAll yields.
// The query's _type is sent as entityQuery when not set; its fields,
// orders and paging do not change the count.
func (s *DataService) CountQuery(ctx context.Context, q dataapi.CountedQuery, opts ...CallOption) (int64, error) {
	if q.UnderscoreType == nil {
		t := dataapi.EntityQuery
		q.UnderscoreType = &t
	}
	res, err := sendJSON[dataapi.CountQueryResult](ctx, DataAPI, "countQuery", opts, func(ctx context.Context) (*dataapi.CountQueryResponse, error) {
		return s.api.CountQueryWithResponse(ctx, dataapi.CountQueryRequest{Query: q})
	})
	if err != nil {
		return 0, err
	}
	return res.Count, nil
}

// AggregateQuery groups and aggregates the entities a query matches among
// those the caller may see (data/aggregateQuery), and returns one page of
// groups: each group holds its groupBy fields' values by field name and each
// aggregation's value by its alias (AggregateGroup.AdditionalProperties, or
// Get). To read the next page, send the returned Paging back unchanged;
// AggregateQueryAll does that for you.
func (s *DataService) AggregateQuery(ctx context.Context, req dataapi.AggregateQueryRequest, opts ...CallOption) (*dataapi.AggregateQueryResult, error) {
	return sendJSON[dataapi.AggregateQueryResult](ctx, DataAPI, "aggregateQuery", opts, func(ctx context.Context) (*dataapi.AggregateQueryResponse, error) {
		return s.api.AggregateQueryWithResponse(ctx, req)
	})
}

// AggregateQueryAll iterates over every group of an aggregate query, page by
// page. The caller's req is not modified. It yields an error at most once,
// then stops.
func (s *DataService) AggregateQueryAll(ctx context.Context, req dataapi.AggregateQueryRequest, opts ...CallOption) iter.Seq2[dataapi.AggregateGroup, error] {
	return pages("aggregateQuery", req.Paging, func(p *dataapi.Paging) ([]dataapi.AggregateGroup, dataapi.Paging, error) {
		r := req
		r.Paging = p
		page, err := s.AggregateQuery(ctx, r, opts...)
		if err != nil {
			return nil, dataapi.Paging{}, err
		}
		return page.Entities, page.Paging, nil
	})
}

// RetrieveMultiple reads entities by id ("/Project/3"), of one or more
// types, in the order of ids (data/retrieveMultiple). An id the caller may
// not read, or that names nothing, is absent from the result: there is no
// error for it. fields nil reads every field.
func (s *DataService) RetrieveMultiple(ctx context.Context, ids, fields []string, opts ...CallOption) ([]dataapi.Entity, error) {
	res, err := sendJSON[dataapi.RetrieveMultipleResult](ctx, DataAPI, "retrieveMultiple", opts, func(ctx context.Context) (*dataapi.RetrieveMultipleResponse, error) {
		req := dataapi.RetrieveMultipleRequest{Ids: ids}
		if fields != nil {
			req.Fields = &fields
		}
		return s.api.RetrieveMultipleWithResponse(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	return res.Results, nil
}

// entityKey returns the last segment of an entity id: "/Project/123" → "123".
func entityKey(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// nextPaging decides what follows a data API page: nil when it was the last
// one, the returned paging (sent back unchanged) otherwise, or an error when
// the server claims more results but does not advance.
func nextPaging(api API, op string, sent *dataapi.Paging, got dataapi.Paging, n int) (*dataapi.Paging, error) {
	if got.HasMore == nil || !*got.HasMore {
		return nil, nil
	}
	if n == 0 {
		return nil, pagingError(api, op, "hasMore is true but the page is empty")
	}
	if pagingFrom(&got) <= pagingFrom(sent) {
		return nil, pagingError(api, op, "hasMore is true but paging.from did not advance")
	}
	next := got
	return &next, nil
}

// pagingFrom reads paging.from (0 when absent).
func pagingFrom(p *dataapi.Paging) int {
	if p == nil || p.From == nil {
		return 0
	}
	return *p.From
}

// parseQueryAsEntityQuery reads a CZQL query response, which has the same
// shape as an entityQuery response.
func parseQueryAsEntityQuery(rsp *http.Response) (*dataapi.EntityQueryResponse, error) {
	r, err := dataapi.ParseQueryResponse(rsp)
	if err != nil {
		return nil, err
	}
	return &dataapi.EntityQueryResponse{Body: r.Body, HTTPResponse: r.HTTPResponse, JSON200: r.JSON200, JSON400: r.JSON400,
		JSON401: r.JSON401, JSON403: r.JSON403, JSON429: r.JSON429, JSON500: r.JSON500, JSON503: r.JSON503}, nil
}
