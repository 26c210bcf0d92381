package client

import (
	"context"
	"iter"
	"net/url"
	"reflect"
	"strconv"

	"github.com/tenantkit/tenantkit/client/credentialsapi"
)

// CredentialsService is the integration-credentials API (Genesys Cloud
// shape). Reads need the integrations:readonly or integrations scope, writes
// the integrations scope.
type CredentialsService struct {
	api *credentialsapi.ClientWithResponses
}

// List reads one page of credentials by page number. params may be nil.
//
// Deprecated: the vendor deprecates GET /api/v2/integrations/credentials in
// favour of the cursor listing; use Listing. List keeps working.
func (s *CredentialsService) List(ctx context.Context, params *credentialsapi.ListCredentialsParams, opts ...CallOption) (*credentialsapi.CredentialInfoListing, error) {
	return sendJSON[credentialsapi.CredentialInfoListing](ctx, CredentialsAPI, "listCredentials", opts, func(ctx context.Context) (*credentialsapi.ListCredentialsResponse, error) {
		return s.api.ListCredentialsWithResponse(ctx, params)
	})
}

// ListAll iterates over every credential, requesting page numbers from
// params.PageNumber (default 1) until the last page (pageNumber >= pageCount)
// or an empty page. params may be nil and is not modified.
//
// Deprecated: the vendor deprecates GET /api/v2/integrations/credentials in
// favour of the cursor listing; use ListingAll. ListAll keeps working.
func (s *CredentialsService) ListAll(ctx context.Context, params *credentialsapi.ListCredentialsParams, opts ...CallOption) iter.Seq2[credentialsapi.CredentialInfo, error] {
	return func(yield func(credentialsapi.CredentialInfo, error) bool) {
		var p credentialsapi.ListCredentialsParams
		if params != nil {
			p = *params
		}
		n := 1
		if p.PageNumber != nil {
			n = *p.PageNumber
		}
		var prev []credentialsapi.CredentialInfo
		prog := progress{api: CredentialsAPI, op: "listCredentials"}
		for {
			p.PageNumber = ptr(n)
			page, err := s.List(ctx, &p, opts...)
			if err != nil {
				yield(credentialsapi.CredentialInfo{}, prog.failed(err, "pageNumber="+strconv.Itoa(n)))
				return
			}
			prog.pages++
			if len(page.Entities) == 0 {
				return
			}
			if page.PageNumber != nil && *page.PageNumber != n {
				yield(credentialsapi.CredentialInfo{}, pagingError(CredentialsAPI, "listCredentials", "asked for another page number than the server answered"))
				return
			}
			if reflect.DeepEqual(prev, page.Entities) {
				yield(credentialsapi.CredentialInfo{}, pagingError(CredentialsAPI, "listCredentials", "the server returned the same page twice"))
				return
			}
			if !yieldAll(&prog, page.Entities, yield) {
				return
			}
			if page.PageCount != nil && n >= *page.PageCount {
				return
			}
			prev = page.Entities
			n++
		}
	}
}

// Listing reads one page of credentials with cursor paging. params may be nil.
func (s *CredentialsService) Listing(ctx context.Context, params *credentialsapi.ListCredentialsCursorParams, opts ...CallOption) (*credentialsapi.CredentialInfoCursorListing, error) {
	return sendJSON[credentialsapi.CredentialInfoCursorListing](ctx, CredentialsAPI, "listCredentialsCursor", opts, func(ctx context.Context) (*credentialsapi.ListCredentialsCursorResponse, error) {
		return s.api.ListCredentialsCursorWithResponse(ctx, params)
	})
}

// ListingAll iterates over every credential with cursor paging, following
// each page's nextUri: the next request sends the after cursor read from
// nextUri's query (the vendor's listing carries its cursors only there). It
// stops on a page without nextUri or an empty page; a nextUri without an
// after cursor, or one that repeats a cursor, is a paging error. params may
// be nil and is not modified.
func (s *CredentialsService) ListingAll(ctx context.Context, params *credentialsapi.ListCredentialsCursorParams, opts ...CallOption) iter.Seq2[credentialsapi.CredentialInfo, error] {
	return func(yield func(credentialsapi.CredentialInfo, error) bool) {
		var p credentialsapi.ListCredentialsCursorParams
		if params != nil {
			p = *params
		}
		seen := map[string]bool{}
		if p.After != nil {
			seen[*p.After] = true
		}
		prog := progress{api: CredentialsAPI, op: "listCredentialsCursor"}
		for {
			page, err := s.Listing(ctx, &p, opts...)
			if err != nil {
				next := "after="
				if p.After != nil {
					next += *p.After
				}
				yield(credentialsapi.CredentialInfo{}, prog.failed(err, next))
				return
			}
			prog.pages++
			if !yieldAll(&prog, page.Entities, yield) {
				return
			}
			if len(page.Entities) == 0 || page.NextUri == nil || *page.NextUri == "" {
				return
			}
			after, ok := afterCursor(*page.NextUri)
			if !ok {
				yield(credentialsapi.CredentialInfo{}, pagingError(CredentialsAPI, "listCredentialsCursor", "the server's nextUri has no after cursor"))
				return
			}
			if seen[after] {
				yield(credentialsapi.CredentialInfo{}, pagingError(CredentialsAPI, "listCredentialsCursor", "the server repeated a cursor"))
				return
			}
			seen[after] = true
			p.After, p.Before = ptr(after), nil
		}
	}
}

// afterCursor reads the after query parameter of a listing's nextUri (a
// path with a query, or an absolute URL); false when it has none.
func afterCursor(nextURI string) (string, bool) {
	u, err := url.Parse(nextURI)
	if err != nil {
		return "", false
	}
	after := u.Query().Get("after")
	return after, after != ""
}

// Types lists the credential types. The service answers a bare JSON array
// (the vendor's CredentialType[]); a JSON object is an error.
func (s *CredentialsService) Types(ctx context.Context, opts ...CallOption) ([]credentialsapi.CredentialType, error) {
	types, err := sendJSON[[]credentialsapi.CredentialType](ctx, CredentialsAPI, "listCredentialTypes", opts, func(ctx context.Context) (*credentialsapi.ListCredentialTypesResponse, error) {
		return s.api.ListCredentialTypesWithResponse(ctx)
	})
	if err != nil {
		return nil, err
	}
	return *types, nil
}

// Get reads one credential; secret fields come back redacted.
func (s *CredentialsService) Get(ctx context.Context, id string, opts ...CallOption) (*credentialsapi.Credential, error) {
	return sendJSON[credentialsapi.Credential](ctx, CredentialsAPI, "getCredential", opts, func(ctx context.Context) (*credentialsapi.GetCredentialResponse, error) {
		return s.api.GetCredentialWithResponse(ctx, id)
	})
}

// Create creates a credential and returns it without its fields. It is never
// replayed after a 5xx unless the call opts in (see the package documentation).
func (s *CredentialsService) Create(ctx context.Context, cred credentialsapi.Credential, opts ...CallOption) (*credentialsapi.CredentialInfo, error) {
	return sendJSON[credentialsapi.CredentialInfo](ctx, CredentialsAPI, "createCredential", opts, func(ctx context.Context) (*credentialsapi.CreateCredentialResponse, error) {
		return s.api.CreateCredentialWithResponse(ctx, cred)
	})
}

// Update replaces a credential and returns it without its fields.
func (s *CredentialsService) Update(ctx context.Context, id string, cred credentialsapi.Credential, opts ...CallOption) (*credentialsapi.CredentialInfo, error) {
	return sendJSON[credentialsapi.CredentialInfo](ctx, CredentialsAPI, "updateCredential", opts, func(ctx context.Context) (*credentialsapi.UpdateCredentialResponse, error) {
		return s.api.UpdateCredentialWithResponse(ctx, id, cred)
	})
}

// Delete deletes a credential.
func (s *CredentialsService) Delete(ctx context.Context, id string, opts ...CallOption) error {
	_, err := send(ctx, CredentialsAPI, "deleteCredential", opts, func(ctx context.Context) (*credentialsapi.DeleteCredentialResponse, error) {
		return s.api.DeleteCredentialWithResponse(ctx, id)
	})
	return err
}
