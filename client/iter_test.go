package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// Each fake below serves five items ("i0".."i4") in pages of two, the way
// its vendor pages, and fails request number failAt (0: never) with a 403.

const total = 5

func item(i int) string { return "i" + strconv.Itoa(i) }

// forbidden answers a permission denial in the error schema of r's API.
func forbidden(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/V2.0/"):
		respond(403, ctJSON, `{"errorCode":"MissingPermissions","message":"denied"}`)(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/rest/"):
		respond(403, ctProblem, `{"title":"Forbidden","status":403,"detail":"denied","errorCode":"missing_permissions"}`)(w, r)
	default:
		respond(403, ctJSON, `{"message":"denied","code":"missing.any.permissions","status":403}`)(w, r)
	}
}

// dataPages pages with the data API's paging object: the response's paging
// is the next request's, from advanced, until hasMore is false.
func dataPages(failAt int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n == failAt {
			forbidden(w, r)
			return
		}
		var req struct{ Paging *dataapi.Paging }
		_ = json.NewDecoder(r.Body).Decode(&req)
		from, limit := 0, 2
		if req.Paging != nil && req.Paging.From != nil {
			from = *req.Paging.From
		}
		var res dataapi.EntityQueryResult
		for i := from; i < min(from+limit, total); i++ {
			res.Entities = append(res.Entities, dataapi.Entity{Id: item(i)})
		}
		next := from + len(res.Entities)
		res.Paging = dataapi.Paging{From: &next, Limit: &limit, HasMore: ptr(next < total)}
		jsonOK(res)(w, r)
	}
}

// numberedPages pages by pageNumber; withCount adds Genesys pageCount.
func credentialPages(failAt int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n == failAt {
			forbidden(w, r)
			return
		}
		pn, _ := strconv.Atoi(r.URL.Query().Get("pageNumber"))
		res := credentialsapi.CredentialInfoListing{PageNumber: &pn, PageSize: ptr(2), PageCount: ptr(3), Total: ptr[int64](total)}
		for i := (pn - 1) * 2; i >= 0 && i < min(pn*2, total); i++ {
			res.Entities = append(res.Entities, credentialsapi.CredentialInfo{Id: item(i), Name: item(i)})
		}
		res.Entities = append(res.Entities[:0:0], res.Entities...)
		if res.Entities == nil {
			res.Entities = []credentialsapi.CredentialInfo{}
		}
		jsonOK(res)(w, r)
	}
}

// cursorPages pages as the vendor's listing does: the after cursor only in
// nextUri, absent on the last page.
func cursorPages(failAt int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n == failAt {
			forbidden(w, r)
			return
		}
		from := 0
		if a := r.URL.Query().Get("after"); a != "" {
			from, _ = strconv.Atoi(a[len("cur"):])
		}
		res := credentialsapi.CredentialInfoCursorListing{Entities: []credentialsapi.CredentialInfo{}}
		for i := from; i < min(from+2, total); i++ {
			res.Entities = append(res.Entities, credentialsapi.CredentialInfo{Id: item(i), Name: item(i)})
		}
		if next := from + 2; next < total {
			res.NextUri = ptr("/api/v2/integrations/credentials/listing?pageSize=2&after=cur" + strconv.Itoa(next))
		}
		jsonOK(res)(w, r)
	}
}

// proxyPages pages by pageNumber until an empty array.
func proxyPages(failAt int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n == failAt {
			forbidden(w, r)
			return
		}
		pn, _ := strconv.Atoi(r.URL.Query().Get("pageNumber"))
		res := relationshipapi.ProxyAssignmentList{}
		for i := (pn - 1) * 2; i < min(pn*2, total); i++ {
			res = append(res, relationshipapi.ProxyAssignment{ProxyUser: relationshipapi.ProxyAssignmentUser{Id: int64(i)}, Users: []relationshipapi.ProxyAssignmentUser{{Id: 100}}})
		}
		jsonOK(res)(w, r)
	}
}

// rowPages pages by skip/limit until rows is empty; withTotal sends the
// real totalRecords, which ends paging without the empty page (without it,
// totalRecords is 0, as a server that does not count would send).
func rowPages(failAt int, withTotal bool) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n == failAt {
			forbidden(w, r)
			return
		}
		skip, limit := 0, 100
		if r.Method == http.MethodPost {
			var q relationshipapi.RowsQuery
			_ = json.NewDecoder(r.Body).Decode(&q)
			skip, limit = *q.Skip, *q.Limit
		} else {
			skip, _ = strconv.Atoi(r.URL.Query().Get("skip"))
			limit, _ = strconv.Atoi(r.URL.Query().Get("limit"))
		}
		res := relationshipapi.RowsResponse{Rows: []relationshipapi.Row{}}
		if withTotal {
			res.TotalRecords = int64(total)
		}
		for i := skip; i < min(skip+limit, total); i++ {
			res.Rows = append(res.Rows, relationshipapi.Row{EntryId: int64(i)})
		}
		jsonOK(res)(w, r)
	}
}

// ids maps a typed sequence to item names.
func ids[T any](seq iter.Seq2[T, error], id func(T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for v, err := range seq {
			if !yield(id(v), err) {
				return
			}
		}
	}
}

type iterCase struct {
	name string
	// server pages five items and fails request failAt.
	server func(failAt int) func(int, http.ResponseWriter, *http.Request)
	seq    func(ctx context.Context, c *client.Client) iter.Seq2[string, error]
	// requests is how many requests reading everything takes.
	requests int
}

var twoPerPage = ptr(2)

func iterCases() []iterCase {
	entityID := func(e dataapi.Entity) string { return e.Id }
	credID := func(e credentialsapi.CredentialInfo) string { return e.Id }
	proxyID := func(a relationshipapi.ProxyAssignment) string { return item(int(a.ProxyUser.Id)) }
	rowID := func(r relationshipapi.Row) string { return item(int(r.EntryId)) }
	return []iterCase{
		{
			name:   "Data.EntityQueryAll",
			server: dataPages,
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Project"}), entityID)
			},
			requests: 3,
		},
		{
			name:   "Data.QueryAll",
			server: dataPages,
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Data.QueryAll(ctx, dataapi.QueryRequest{Q: "SELECT Name FROM Project"}), entityID)
			},
			requests: 3,
		},
		{
			name:   "Credentials.ListAll",
			server: credentialPages,
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Credentials.ListAll(ctx, &credentialsapi.ListCredentialsParams{PageSize: twoPerPage}), credID)
			},
			requests: 3, // pageNumber reaches pageCount
		},
		{
			name:   "Credentials.ListingAll",
			server: cursorPages,
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Credentials.ListingAll(ctx, nil), credID)
			},
			requests: 3, // no nextUri on the last page
		},
		{
			name:   "Relationship.ProxyAssignmentsAll",
			server: proxyPages,
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Relationship.ProxyAssignmentsAll(ctx, &relationshipapi.GetProxyAssignmentsParams{PageSize: twoPerPage}), proxyID)
			},
			requests: 4, // the empty page ends it
		},
		{
			name:   "Relationship.RowsAll",
			server: func(failAt int) func(int, http.ResponseWriter, *http.Request) { return rowPages(failAt, false) },
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Relationship.RowsAll(ctx, "Deals", &relationshipapi.GetRowsParams{Limit: twoPerPage}), rowID)
			},
			requests: 4, // the empty page ends it
		},
		{
			name:   "Relationship.QueryRowsAll",
			server: func(failAt int) func(int, http.ResponseWriter, *http.Request) { return rowPages(failAt, true) },
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Relationship.QueryRowsAll(ctx, "Deals", nil, relationshipapi.RowsQuery{Limit: twoPerPage}), rowID)
			},
			requests: 3, // totalRecords ends it
		},
	}
}

func TestIterators(t *testing.T) {
	t.Parallel()
	for _, tc := range iterCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("reads every page and stops on the last", func(t *testing.T) {
				t.Parallel()
				s := newServer(t, tc.server(0))
				c := newClient(t, s)
				var got []string
				for id, err := range tc.seq(t.Context(), c) {
					require.NoError(t, err)
					got = append(got, id)
				}
				assert.Equal(t, []string{"i0", "i1", "i2", "i3", "i4"}, got)
				assert.Len(t, s.requests(), tc.requests)
			})
			t.Run("break makes no further request", func(t *testing.T) {
				t.Parallel()
				s := newServer(t, tc.server(0))
				c := newClient(t, s)
				var got []string
				for id, err := range tc.seq(t.Context(), c) {
					require.NoError(t, err)
					got = append(got, id)
					if len(got) == 3 { // the first item of page two
						break
					}
				}
				assert.Equal(t, []string{"i0", "i1", "i2"}, got)
				assert.Len(t, s.requests(), 2)
			})
			t.Run("yields an error once and stops", func(t *testing.T) {
				t.Parallel()
				s := newServer(t, tc.server(2))
				c := newClient(t, s)
				var got []string
				var errs []error
				for id, err := range tc.seq(t.Context(), c) {
					if err != nil {
						errs = append(errs, err)
						continue // a careless caller: the iterator must still stop
					}
					got = append(got, id)
				}
				assert.Equal(t, []string{"i0", "i1"}, got)
				require.Len(t, errs, 1)
				var pe *client.PermissionError
				assert.ErrorAs(t, errs[0], &pe)
				assert.Len(t, s.requests(), 2)
				// It says how far it got.
				var ie *client.IncompleteError
				require.ErrorAs(t, errs[0], &ie)
				assert.Equal(t, 2, ie.Items)
				assert.Equal(t, 1, ie.Pages)
				assert.NotEmpty(t, ie.Next)
				assert.Contains(t, ie.Error(), "(after 2 items in 1 pages; next page "+ie.Next+")")
				assert.True(t, strings.HasPrefix(ie.Error(), pe.Error()), "the failure comes first: %v", ie)
			})
			t.Run("a failed first page is not wrapped", func(t *testing.T) {
				t.Parallel()
				s := newServer(t, tc.server(1))
				c := newClient(t, s)
				for _, err := range tc.seq(t.Context(), c) {
					require.Error(t, err)
					var ie *client.IncompleteError
					assert.False(t, errors.As(err, &ie))
				}
			})
		})
	}
}

func TestIterators_DoNotModifyParams(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	s := newServer(t, credentialPages(0))
	c := newClient(t, s)
	lp := &credentialsapi.ListCredentialsParams{PageSize: ptr(2)}
	for _, err := range c.Credentials.ListAll(ctx, lp) {
		require.NoError(t, err)
	}
	assert.Nil(t, lp.PageNumber)
	assert.Equal(t, 2, *lp.PageSize)

	s = newServer(t, dataPages(0))
	c = newClient(t, s)
	from := 0
	req := dataapi.EntityQueryRequest{TypeName: "Project", Paging: &dataapi.Paging{From: &from}}
	for _, err := range c.Data.EntityQueryAll(ctx, req) {
		require.NoError(t, err)
	}
	assert.Equal(t, 0, *req.Paging.From)
	assert.Nil(t, req.Paging.HasMore)

	s = newServer(t, rowPages(0, false))
	c = newClient(t, s)
	rp := &relationshipapi.GetRowsParams{Limit: ptr(2)}
	for _, err := range c.Relationship.RowsAll(ctx, "Deals", rp) {
		require.NoError(t, err)
	}
	assert.Nil(t, rp.Skip)
	assert.Equal(t, 2, *rp.Limit)

	s = newServer(t, cursorPages(0))
	c = newClient(t, s)
	cp := &credentialsapi.ListCredentialsCursorParams{}
	for _, err := range c.Credentials.ListingAll(ctx, cp) {
		require.NoError(t, err)
	}
	assert.Nil(t, cp.After)
}

func TestIterators_SendPagingBackUnchanged(t *testing.T) {
	t.Parallel()
	s := newServer(t, dataPages(0))
	c := newClient(t, s)
	for _, err := range c.Data.EntityQueryAll(t.Context(), dataapi.EntityQueryRequest{TypeName: "Project"}) {
		require.NoError(t, err)
	}
	reqs := s.requests()
	require.Len(t, reqs, 3)
	assert.JSONEq(t, `{"typeName":"Project"}`, string(reqs[0].Body))
	assert.JSONEq(t, `{"typeName":"Project","paging":{"from":2,"limit":2,"hasMore":true}}`, string(reqs[1].Body))
	assert.JSONEq(t, `{"typeName":"Project","paging":{"from":4,"limit":2,"hasMore":true}}`, string(reqs[2].Body))
}

func TestIterators_StalledPagingFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		server func(int, http.ResponseWriter, *http.Request)
		seq    func(ctx context.Context, c *client.Client) iter.Seq2[string, error]
	}{
		{
			name: "hasMore with an empty page",
			server: sequence(jsonOK(dataapi.EntityQueryResult{Entities: []dataapi.Entity{},
				Paging: dataapi.Paging{From: ptr(0), HasMore: ptr(true)}})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Data.EntityQueryAll(ctx, dataapi.EntityQueryRequest{TypeName: "Project"}), func(e dataapi.Entity) string { return e.Id })
			},
		},
		{
			name: "hasMore without advancing",
			server: sequence(jsonOK(dataapi.EntityQueryResult{Entities: []dataapi.Entity{{Id: "a"}},
				Paging: dataapi.Paging{From: ptr(0), HasMore: ptr(true)}})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Data.QueryAll(ctx, dataapi.QueryRequest{Q: "SELECT Name FROM Project"}), func(e dataapi.Entity) string { return e.Id })
			},
		},
		{
			name: "repeated cursor",
			server: sequence(jsonOK(credentialsapi.CredentialInfoCursorListing{
				Entities: []credentialsapi.CredentialInfo{{Id: "a", Name: "a"}}, NextUri: ptr("/api/v2/integrations/credentials/listing?after=same")})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Credentials.ListingAll(ctx, nil), func(e credentialsapi.CredentialInfo) string { return e.Id })
			},
		},
		{
			name: "nextUri without an after cursor",
			server: sequence(jsonOK(credentialsapi.CredentialInfoCursorListing{
				Entities: []credentialsapi.CredentialInfo{{Id: "a", Name: "a"}}, NextUri: ptr("/api/v2/integrations/credentials/listing?pageSize=2")})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Credentials.ListingAll(ctx, nil), func(e credentialsapi.CredentialInfo) string { return e.Id })
			},
		},
		{
			name: "page number ignored",
			server: sequence(jsonOK(credentialsapi.CredentialInfoListing{
				Entities: []credentialsapi.CredentialInfo{{Id: "a", Name: "a"}}})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Credentials.ListAll(ctx, nil), func(e credentialsapi.CredentialInfo) string { return e.Id })
			},
		},
		{
			name:   "skip ignored",
			server: sequence(jsonOK(relationshipapi.RowsResponse{Rows: []relationshipapi.Row{{EntryId: 1}}})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Relationship.RowsAll(ctx, "Deals", nil), func(r relationshipapi.Row) string { return fmt.Sprint(r.EntryId) })
			},
		},
		{
			name:   "proxy page number ignored",
			server: sequence(jsonOK(relationshipapi.ProxyAssignmentList{{ProxyUser: relationshipapi.ProxyAssignmentUser{Id: 1}, Users: []relationshipapi.ProxyAssignmentUser{{Id: 2}}}})),
			seq: func(ctx context.Context, c *client.Client) iter.Seq2[string, error] {
				return ids(c.Relationship.ProxyAssignmentsAll(ctx, nil), func(a relationshipapi.ProxyAssignment) string { return fmt.Sprint(a.ProxyUser.Id) })
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.server)
			c := newClient(t, s)
			var errs []error
			for _, err := range tt.seq(t.Context(), c) {
				if err != nil {
					errs = append(errs, err)
				}
			}
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], client.ErrPaging)
			var oe *client.OperationError
			assert.ErrorAs(t, errs[0], &oe)
			assert.LessOrEqual(t, len(s.requests()), 2)
		})
	}
}

// A server that serves fewer rows than the limit asks for (it caps its
// page size) still has every row read once: the next page starts after the
// rows received, not after the limit.
func TestRowsAllFollowsShortPages(t *testing.T) {
	t.Parallel()
	const total, served = 10, 3
	s := newServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		res := relationshipapi.RowsResponse{Rows: []relationshipapi.Row{}, TotalRecords: int64(total)}
		for i := skip; i < min(skip+served, total); i++ {
			res.Rows = append(res.Rows, relationshipapi.Row{EntryId: int64(i)})
		}
		jsonOK(res)(w, r)
	})
	c := newClient(t, s)
	var got []int64
	for row, err := range c.Relationship.RowsAll(t.Context(), "Deals", &relationshipapi.GetRowsParams{Limit: ptr(5)}) {
		require.NoError(t, err)
		got = append(got, row.EntryId)
	}
	assert.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, got)
}

// Without a limit of the caller's, every page asks for none (the server's
// default page size applies) and skip moves by the rows each page held;
// with one, every page asks for it.
func TestRowsAllSendsTheCallersLimitOnly(t *testing.T) {
	t.Parallel()
	const total, pageSize = 7, 3 // pageSize: the fake server's own default
	s := newServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		limit := pageSize
		if v := r.URL.Query().Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		res := relationshipapi.RowsResponse{Rows: []relationshipapi.Row{}}
		for i := skip; i < min(skip+limit, total); i++ {
			res.Rows = append(res.Rows, relationshipapi.Row{EntryId: int64(i)})
		}
		jsonOK(res)(w, r)
	})
	c := newClient(t, s)
	for _, limit := range []*int{nil, ptr(2)} {
		before := len(s.requests())
		var got []int64
		for row, err := range c.Relationship.RowsAll(t.Context(), "Deals", &relationshipapi.GetRowsParams{Limit: limit}) {
			require.NoError(t, err)
			got = append(got, row.EntryId)
		}
		assert.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6}, got)
		for _, r := range s.requests()[before:] {
			q, err := url.ParseQuery(r.Query)
			require.NoError(t, err)
			if limit == nil {
				assert.False(t, q.Has("limit"), "page %s", r.Query)
			} else {
				assert.Equal(t, "2", q.Get("limit"), "page %s", r.Query)
			}
		}
	}
}
