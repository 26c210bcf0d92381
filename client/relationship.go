package client

import (
	"context"
	"iter"
	"reflect"
	"strconv"

	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// RelationshipService is the relationship-data API (DealCloud shape): proxy
// assignments, user reads, entry rows and the schema (entry types, fields, users,
// currencies, filter operations). Calls may act as another user with AS-USER;
// see the package documentation.
type RelationshipService struct {
	api *relationshipapi.ClientWithResponses
}

// ProxyAssignments reads one page of proxy assignments (params.PageNumber,
// default 1): one item per proxy user, with its principals, each as {Id,
// Email, FullName}. params (the proxyQuery, userQuery and searchByName
// filters, paging) may be nil.
func (s *RelationshipService) ProxyAssignments(ctx context.Context, params *relationshipapi.GetProxyAssignmentsParams, opts ...CallOption) ([]relationshipapi.ProxyAssignment, error) {
	params, opts = moveAsUser(params, opts)
	list, err := sendJSON[relationshipapi.ProxyAssignmentList](ctx, RelationshipAPI, "getProxyAssignments", opts, func(ctx context.Context) (*relationshipapi.GetProxyAssignmentsResponse, error) {
		return s.api.GetProxyAssignmentsWithResponse(ctx, params)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// ProxyAssignmentsAll iterates over every proxy assignment, incrementing the
// page number until a page is empty. params may be nil and is not modified.
func (s *RelationshipService) ProxyAssignmentsAll(ctx context.Context, params *relationshipapi.GetProxyAssignmentsParams, opts ...CallOption) iter.Seq2[relationshipapi.ProxyAssignment, error] {
	var p relationshipapi.GetProxyAssignmentsParams
	if params != nil {
		p = *params
	}
	return numberPages(RelationshipAPI, "getProxyAssignments", p.PageNumber, func(n int) ([]relationshipapi.ProxyAssignment, error) {
		page := p
		page.PageNumber = ptr(n)
		return s.ProxyAssignments(ctx, &page, opts...)
	})
}

// numberPages pages by page number from start (default 1) until a page is
// empty.
func numberPages[T any](api API, op string, start *int, fetch func(n int) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		n := 1
		if start != nil {
			n = *start
		}
		var prev []T
		prog := progress{api: api, op: op}
		for ; ; n++ {
			page, err := fetch(n)
			if err != nil {
				yield(zero, prog.failed(err, "pageNumber="+strconv.Itoa(n)))
				return
			}
			prog.pages++
			if len(page) == 0 {
				return
			}
			if reflect.DeepEqual(prev, page) {
				yield(zero, pagingError(api, op, "the server returned the same page twice"))
				return
			}
			if !yieldAll(&prog, page, yield) {
				return
			}
			prev = page
		}
	}
}

// CreateProxyAssignments sets the principals of one proxy user (the
// vendor's `{proxyUserId, users}`): it replaces the proxy user's existing
// principals, so to add one, send the current ones with it (an empty Users
// removes them all). It returns the proxy user's assignment as stored. An
// unknown proxy user or principal is an *APIError with status 400 ("Proxy
// user with provided id does not exist."). params may be nil.
func (s *RelationshipService) CreateProxyAssignments(ctx context.Context, params *relationshipapi.CreateProxyAssignmentsParams, assignment relationshipapi.ProxyAssignmentCreate, opts ...CallOption) (*relationshipapi.ProxyAssignment, error) {
	params, opts = moveAsUser(params, opts)
	return sendJSON[relationshipapi.ProxyAssignment](ctx, RelationshipAPI, "createProxyAssignments", opts, func(ctx context.Context) (*relationshipapi.CreateProxyAssignmentsResponse, error) {
		return s.api.CreateProxyAssignmentsWithResponse(ctx, params, assignment)
	})
}

// Users reads one page of the site's users (GET
// /api/rest/v1/management/user, scope user_management, permission
// user_management:user:view): id, email, first and last name, isActive,
// group ids, created and modified dates (the vendor's format, without zone)
// and their authors. params (the modifiedSince, email and userGroupID
// filters, each optional, and paging: pageSize defaults to 10) may be nil.
func (s *RelationshipService) Users(ctx context.Context, params *relationshipapi.GetUsersParams, opts ...CallOption) ([]relationshipapi.ManagementUser, error) {
	params, opts = moveAsUser(params, opts)
	list, err := sendJSON[relationshipapi.ManagementUserList](ctx, RelationshipAPI, "getUsers", opts, func(ctx context.Context) (*relationshipapi.GetUsersResponse, error) {
		return s.api.GetUsersWithResponse(ctx, params)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// UsersAll iterates over every user Users' filters select, incrementing the
// page number until a page is empty. params may be nil and is not modified.
func (s *RelationshipService) UsersAll(ctx context.Context, params *relationshipapi.GetUsersParams, opts ...CallOption) iter.Seq2[relationshipapi.ManagementUser, error] {
	var p relationshipapi.GetUsersParams
	if params != nil {
		p = *params
	}
	return numberPages(RelationshipAPI, "getUsers", p.PageNumber, func(n int) ([]relationshipapi.ManagementUser, error) {
		page := p
		page.PageNumber = ptr(n)
		return s.Users(ctx, &page, opts...)
	})
}

// UsersByID reads the users with the given ids (POST
// /api/rest/v1/management/users, which the vendor's Python SDK calls "Get
// Users by ID"; a read, safe to replay), in the order asked; ids that name
// no user are left out. params may be nil.
func (s *RelationshipService) UsersByID(ctx context.Context, params *relationshipapi.GetUsersByIDParams, ids []int64, opts ...CallOption) ([]relationshipapi.ManagementUser, error) {
	params, opts = moveAsUser(params, opts)
	if ids == nil {
		ids = []int64{}
	}
	list, err := sendJSON[relationshipapi.ManagementUserList](ctx, RelationshipAPI, "getUsersByID", opts, func(ctx context.Context) (*relationshipapi.GetUsersByIDResponse, error) {
		return s.api.GetUsersByIDWithResponse(ctx, params, ids)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// Rows reads one page of entry rows of entryType (api name or numeric id).
// params may be nil: every field, skip 0 and the server's default limit
// (the vendor's 1000). params.Fields is sent repeated (fields=A&fields=B),
// as the vendor's SDKs send it; WrapIntoArrays, ResolveReferenceUrls and
// DateTimeBehavior shape the values (see relationshipapi.Row). Values are
// JSON in Row.AdditionalProperties: a reference decodes as
// relationshipapi.RowReference, a user as RowUserReference, a choice as
// RowChoice (or an array of one with WrapIntoArrays).
func (s *RelationshipService) Rows(ctx context.Context, entryType string, params *relationshipapi.GetRowsParams, opts ...CallOption) (*relationshipapi.RowsResponse, error) {
	params, opts = moveAsUser(params, opts)
	return sendJSON[relationshipapi.RowsResponse](ctx, RelationshipAPI, "getRows", opts, func(ctx context.Context) (*relationshipapi.GetRowsResponse, error) {
		return s.api.GetRowsWithResponse(ctx, entryType, params)
	})
}

// RowsAll iterates over every row of entryType, page by page: each page
// asks for params' limit (none: the server's default page size) and skip
// moves by the rows it held, until a page is empty or totalRecords is
// reached. params may be nil and is not modified.
func (s *RelationshipService) RowsAll(ctx context.Context, entryType string, params *relationshipapi.GetRowsParams, opts ...CallOption) iter.Seq2[relationshipapi.Row, error] {
	var p relationshipapi.GetRowsParams
	if params != nil {
		p = *params
	}
	return rowPages(RelationshipAPI, "getRows", p.Skip, func(skip int) (*relationshipapi.RowsResponse, error) {
		page := p
		page.Skip = ptr(skip)
		return s.Rows(ctx, entryType, &page, opts...)
	})
}

// QueryRows runs a rows query (POST, a read that is safe to replay) and
// returns one page. params may be nil.
func (s *RelationshipService) QueryRows(ctx context.Context, entryType string, params *relationshipapi.QueryRowsParams, q relationshipapi.RowsQuery, opts ...CallOption) (*relationshipapi.RowsResponse, error) {
	params, opts = moveAsUser(params, opts)
	return sendJSON[relationshipapi.RowsResponse](ctx, RelationshipAPI, "queryRows", opts, func(ctx context.Context) (*relationshipapi.QueryRowsResponse, error) {
		return s.api.QueryRowsWithResponse(ctx, entryType, params, q)
	})
}

// QueryRowsAll iterates over every row a rows query returns, paging as
// RowsAll does with q's limit. q is not modified.
func (s *RelationshipService) QueryRowsAll(ctx context.Context, entryType string, params *relationshipapi.QueryRowsParams, q relationshipapi.RowsQuery, opts ...CallOption) iter.Seq2[relationshipapi.Row, error] {
	return rowPages(RelationshipAPI, "queryRows", q.Skip, func(skip int) (*relationshipapi.RowsResponse, error) {
		page := q
		page.Skip = ptr(skip)
		return s.QueryRows(ctx, entryType, params, page, opts...)
	})
}

// rowPages pages through rows with skip, from skip0. Each page asks for the
// caller's limit, or none (the server's default page size): skip moves by
// the rows a page holds, so the iterator needs no page size of its own.
func rowPages(api API, op string, skip0 *int, fetch func(skip int) (*relationshipapi.RowsResponse, error)) iter.Seq2[relationshipapi.Row, error] {
	return func(yield func(relationshipapi.Row, error) bool) {
		skip := 0
		if skip0 != nil {
			skip = *skip0
		}
		var prev []relationshipapi.Row
		prog := progress{api: api, op: op}
		for {
			page, err := fetch(skip)
			if err != nil {
				yield(relationshipapi.Row{}, prog.failed(err, "skip="+strconv.Itoa(skip)))
				return
			}
			prog.pages++
			if len(page.Rows) == 0 {
				return
			}
			if reflect.DeepEqual(prev, page.Rows) {
				yield(relationshipapi.Row{}, pagingError(api, op, "the server returned the same page twice"))
				return
			}
			if !yieldAll(&prog, page.Rows, yield) {
				return
			}
			skip += len(page.Rows) // not limit: a server may serve fewer rows than asked
			// totalRecords is required; a server that sends 0 with rows
			// is paged until an empty page instead.
			if page.TotalRecords > 0 && int64(skip) >= page.TotalRecords {
				return
			}
			prev = page.Rows
		}
	}
}

// EntryTypes lists the entry types the caller may read through the API
// (GET /api/rest/v4/schema/entryTypes).
func (s *RelationshipService) EntryTypes(ctx context.Context, opts ...CallOption) ([]relationshipapi.EntryTypeObject, error) {
	list, err := sendJSON[relationshipapi.EntryTypeList](ctx, RelationshipAPI, "getEntryTypes", opts, func(ctx context.Context) (*relationshipapi.GetEntryTypesResponse, error) {
		return s.api.GetEntryTypesWithResponse(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// EntryType reads one entry type by api name or numeric id. A type the
// caller may not read is an *ObjectAccessError (403), like one that does not
// exist unless the caller may read every type (then a 404).
func (s *RelationshipService) EntryType(ctx context.Context, entryType string, opts ...CallOption) (*relationshipapi.EntryTypeObject, error) {
	return sendJSON[relationshipapi.EntryTypeObject](ctx, RelationshipAPI, "getEntryType", opts, func(ctx context.Context) (*relationshipapi.GetEntryTypeResponse, error) {
		return s.api.GetEntryTypeWithResponse(ctx, entryType, nil)
	})
}

// EntryTypeFields lists the fields of one entry type (api name or numeric
// id); params (editable, entryForm) may be nil.
func (s *RelationshipService) EntryTypeFields(ctx context.Context, entryType string, params *relationshipapi.GetEntryTypeFieldsParams, opts ...CallOption) ([]relationshipapi.Field, error) {
	params, opts = moveAsUser(params, opts)
	list, err := sendJSON[relationshipapi.FieldList](ctx, RelationshipAPI, "getEntryTypeFields", opts, func(ctx context.Context) (*relationshipapi.GetEntryTypeFieldsResponse, error) {
		return s.api.GetEntryTypeFieldsWithResponse(ctx, entryType, params)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// AllFields lists the fields of every entry type the caller may read; each
// field's EntryListId is its entry type's Id.
func (s *RelationshipService) AllFields(ctx context.Context, opts ...CallOption) ([]relationshipapi.Field, error) {
	list, err := sendJSON[relationshipapi.FieldList](ctx, RelationshipAPI, "getAllFields", opts, func(ctx context.Context) (*relationshipapi.GetAllFieldsResponse, error) {
		return s.api.GetAllFieldsWithResponse(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// SchemaUsers lists the site's users (id, name, email); params
// (activeOnly) may be nil.
func (s *RelationshipService) SchemaUsers(ctx context.Context, params *relationshipapi.GetSchemaUsersParams, opts ...CallOption) ([]relationshipapi.SchemaUser, error) {
	params, opts = moveAsUser(params, opts)
	list, err := sendJSON[relationshipapi.SchemaUserList](ctx, RelationshipAPI, "getSchemaUsers", opts, func(ctx context.Context) (*relationshipapi.GetSchemaUsersResponse, error) {
		return s.api.GetSchemaUsersWithResponse(ctx, params)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// Currencies lists the site's currency codes.
func (s *RelationshipService) Currencies(ctx context.Context, opts ...CallOption) ([]string, error) {
	list, err := sendJSON[relationshipapi.CurrencyList](ctx, RelationshipAPI, "getCurrencies", opts, func(ctx context.Context) (*relationshipapi.GetCurrenciesResponse, error) {
		return s.api.GetCurrenciesWithResponse(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// FilterOperations lists the operations the rows filter supports.
func (s *RelationshipService) FilterOperations(ctx context.Context, opts ...CallOption) ([]relationshipapi.FilterOperation, error) {
	list, err := sendJSON[relationshipapi.FilterOperationList](ctx, RelationshipAPI, "getFilterOperations", opts, func(ctx context.Context) (*relationshipapi.GetFilterOperationsResponse, error) {
		return s.api.GetFilterOperationsWithResponse(ctx, nil)
	})
	if err != nil {
		return nil, err
	}
	return *list, nil
}

// asUserParams is a generated params struct with an AS-USER field.
type asUserParams interface {
	relationshipapi.GetProxyAssignmentsParams | relationshipapi.CreateProxyAssignmentsParams |
		relationshipapi.GetUsersParams | relationshipapi.GetUsersByIDParams |
		relationshipapi.GetRowsParams | relationshipapi.QueryRowsParams |
		relationshipapi.GetEntryTypeFieldsParams | relationshipapi.GetSchemaUsersParams
}

// moveAsUser takes the AS-USER value out of a copy of the generated params
// and adds it to the call's options, where resolveAsUser decides which
// AS-USER the call sends. The caller's params are not modified.
func moveAsUser[P asUserParams](params *P, opts []CallOption) (*P, []CallOption) {
	if params == nil {
		return nil, opts
	}
	cp := *params
	field := asUserField(&cp)
	if *field == nil {
		return &cp, opts
	}
	id := **field
	*field = nil
	return &cp, append([]CallOption{func(o *callOptions) { o.paramAsUser = &id }}, opts...)
}

func asUserField[P asUserParams](p *P) **int64 {
	switch v := any(p).(type) {
	case *relationshipapi.GetProxyAssignmentsParams:
		return &v.ASUSER
	case *relationshipapi.CreateProxyAssignmentsParams:
		return &v.ASUSER
	case *relationshipapi.GetUsersParams:
		return &v.ASUSER
	case *relationshipapi.GetUsersByIDParams:
		return &v.ASUSER
	case *relationshipapi.GetRowsParams:
		return &v.ASUSER
	case *relationshipapi.QueryRowsParams:
		return &v.ASUSER
	case *relationshipapi.GetEntryTypeFieldsParams:
		return &v.ASUSER
	case *relationshipapi.GetSchemaUsersParams:
		return &v.ASUSER
	}
	panic("unreachable")
}
