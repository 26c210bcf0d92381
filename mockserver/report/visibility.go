package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// VisibilityDiff compares, for one user and entity type, the rows the user
// sees in the UI (row-level sharing) with the rows each of the user's API
// credentials reads under the tenant's apiDataAccess setting. Its JSON form
// is stable (docs/guides/visibility.md).
type VisibilityDiff struct {
	Tenant        string           `json:"tenant"`
	User          int64            `json:"user"`
	UserName      string           `json:"userName"`
	EntityType    string           `json:"entityType"`
	APIDataAccess string           `json:"apiDataAccess"`
	UI            RowSet           `json:"ui"`
	Credentials   []CredentialView `json:"credentials"`
}

// RowSet is a set of rows: how many, and their ids (/Type/n).
type RowSet struct {
	Count int      `json:"count"`
	IDs   []string `json:"ids"`
}

// CredentialView is what one API credential of the user reads, and how it
// differs from the UI.
type CredentialView struct {
	Kind string `json:"kind"` // api_key or oauth_client
	ID   string `json:"id"`
	// Operation is the read it was checked with: the data API's
	// entityQuery for API keys, the relationship API's getRows for OAuth
	// clients (with every scope the client may be issued).
	Operation string `json:"operation"`
	// Denied is set when the credential cannot read the type at all: the
	// pipeline step and what it lacked. The credential then reads no rows.
	Denied *tenant.StepDenial `json:"denied,omitempty"`
	Rows   RowSet             `json:"rows"`
	// APIOnly are rows the credential reads that the UI hides; UIOnly are
	// rows the UI shows that the credential does not read.
	APIOnly []RowDifference `json:"apiOnly"`
	UIOnly  []RowDifference `json:"uiOnly"`
}

// RowDifference is one row seen on one side only, and why.
type RowDifference struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Reason string `json:"reason"`
}

// Judge is the decision function's verdict on a read of entityType by a
// credential through operation op of api (no AS-USER): the first step that
// fails, or nil when the read is allowed.
type Judge func(cred decide.Credential, api, op, entityType string) *tenant.StepDenial

// Read is the list read a credential of one kind is judged by for one
// entity or resource type.
type Read struct {
	// API and Operation name the read ("" Operation: there is none).
	API, Operation string
	// Rows is how the read applies row-level sharing (a loaded API's
	// resource type: its policy's rows; an entity type: enforce, under
	// the tenant's apiDataAccess).
	Rows tenant.RowAccess
	// NameField is the body field that names a resource row.
	NameField string
}

// Reads names, per credential kind and type, the list read a credential
// of that kind is judged by: for an entity type, the operation whose spec
// marks it x-row-read and accepts the kind; for a resource type of a
// loaded API, that API's list of the type.
type Reads func(kind decide.Kind, typeName string) Read

// Visibility builds the visibility diff for a user and an entity type (or
// a loaded API's resource type) of tenant t. Each credential of the user
// is judged for its read operation by judge (the mock's decision
// function); nothing is recorded.
func Visibility(t *tenant.Tenant, user int64, entityType string, reads Reads, judge Judge) (*VisibilityDiff, error) {
	u, ok := t.User(user)
	if !ok {
		return nil, fmt.Errorf("mockserver: tenant %s has no user %d", t.ID(), user)
	}
	var views []tenant.RowView
	var typeName, keyAPI string
	var err error
	rows := map[decide.Kind]Read{decide.KindAPIKey: {}, decide.KindBearer: {}}
	if rt, isResource := t.ResourceTypeOf(entityType); isResource {
		typeName, keyAPI = entityType, rt.API
		for k := range rows {
			rows[k] = reads(k, typeName)
		}
		// A resource type's rows are read the same way by both kinds of
		// credential (one API's policy): the first read found says how.
		r := rows[decide.KindAPIKey]
		if r.Operation == "" {
			r = rows[decide.KindBearer]
		}
		views, err = t.ResourceRowViews(typeName, user, r.Rows, r.NameField)
	} else {
		et, ok := t.EntityType(entityType)
		if !ok {
			return nil, fmt.Errorf("mockserver: tenant %s has no entity type %q", t.ID(), entityType)
		}
		typeName = et.Name
		for k := range rows {
			rows[k] = reads(k, typeName)
		}
		views, err = t.RowViews(et.Name, user)
	}
	if err != nil {
		return nil, err
	}
	settings := t.Settings()
	d := &VisibilityDiff{Tenant: t.ID(), User: user, UserName: u.Name, EntityType: typeName,
		APIDataAccess: string(settings.APIDataAccess), UI: RowSet{IDs: []string{}}, Credentials: []CredentialView{}}
	for _, v := range views {
		if v.UI {
			d.UI.IDs = append(d.UI.IDs, v.Key())
		}
	}
	d.UI.Count = len(d.UI.IDs)

	check := func(cred decide.Credential, read Read) {
		cv := CredentialView{Kind: cred.Caller.Kind, ID: cred.Caller.ID, Operation: read.Operation, Rows: RowSet{IDs: []string{}}, APIOnly: []RowDifference{}, UIOnly: []RowDifference{}}
		cv.Denied = judge(cred, read.API, read.Operation, typeName)
		why := "visible through apiDataAccess: bypass"
		if read.Rows == tenant.RowsBypass {
			why = fmt.Sprintf("the %s API reads %s ignoring view rights by design (its policy: rows: bypass for %s)", read.API, typeName, read.Operation)
		}
		for _, v := range views {
			reads := cv.Denied == nil && v.API
			if reads {
				cv.Rows.IDs = append(cv.Rows.IDs, v.Key())
			}
			switch {
			case reads && !v.UI:
				cv.APIOnly = append(cv.APIOnly, RowDifference{ID: v.Key(), Name: v.Name, Reason: why + "; the UI hides it: " + v.Why})
			case !reads && v.UI:
				cv.UIOnly = append(cv.UIOnly, RowDifference{ID: v.Key(), Name: v.Name,
					Reason: fmt.Sprintf("the UI shows it (%s); %s", v.Why, apiHides(cv.Denied))})
			}
		}
		cv.Rows.Count = len(cv.Rows.IDs)
		d.Credentials = append(d.Credentials, cv)
	}
	if read := rows[decide.KindAPIKey]; read.Operation != "" {
		for _, k := range t.APIKeys() {
			if k.User == user && !k.Revoked && k.API == keyAPI {
				check(decide.APIKey(k), read)
			}
		}
	}
	if read := rows[decide.KindBearer]; read.Operation != "" {
		for _, c := range t.OAuthClients() {
			if c.User == user {
				check(decide.ClientToken(c, ""), read)
			}
		}
	}
	return d, nil
}

func apiHides(d *tenant.StepDenial) string {
	if d == nil {
		return "the API hides it"
	}
	return fmt.Sprintf("the API refuses the whole type at the %s step (%s: %s)", d.Step, d.Code, strings.Join(d.Missing, " "))
}

// WriteText writes the diff for people. Credentials that read the same
// rows are listed together.
func (d *VisibilityDiff) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Visibility of %s for user %d (%s), apiDataAccess: %s\n", d.EntityType, d.User, d.UserName, d.APIDataAccess)
	fmt.Fprintf(&b, "The UI shows %s: %s\n", rowsWord(d.UI.Count), strings.Join(d.UI.IDs, " "))
	type group struct {
		names []string
		view  CredentialView
	}
	var groups []*group
	for _, c := range d.Credentials {
		name := fmt.Sprintf("%s %s (%s)", decide.KindName(c.Kind), c.ID, c.Operation)
		i := slices.IndexFunc(groups, func(g *group) bool { return sameRows(g.view, c) })
		if i < 0 {
			groups = append(groups, &group{view: c})
			i = len(groups) - 1
		}
		groups[i].names = append(groups[i].names, name)
	}
	for _, g := range groups {
		c := g.view
		fmt.Fprintf(&b, "\n%s: %s", strings.Join(g.names, ", "), rowsWord(c.Rows.Count))
		if c.Denied != nil {
			fmt.Fprintf(&b, ", refused at the %s step (%s %s)", c.Denied.Step, c.Denied.Code, strings.Join(c.Denied.Missing, " "))
		}
		b.WriteString("\n")
		if len(c.APIOnly) == 0 && len(c.UIOnly) == 0 {
			b.WriteString("  the same rows as the UI\n")
		}
		for _, r := range c.APIOnly {
			fmt.Fprintf(&b, "  + %s %s: %s\n", r.ID, r.Name, r.Reason)
		}
		for _, r := range c.UIOnly {
			fmt.Fprintf(&b, "  - %s %s: %s\n", r.ID, r.Name, r.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rowsWord is "1 row" or "n rows".
func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// sameRows reports whether two credentials read the same rows, for the
// same reasons.
func sameRows(a, b CredentialView) bool {
	return slices.Equal(a.Rows.IDs, b.Rows.IDs) && slices.Equal(a.APIOnly, b.APIOnly) &&
		slices.Equal(a.UIOnly, b.UIOnly) && (a.Denied == nil) == (b.Denied == nil) &&
		(a.Denied == nil || a.Denied.Step == b.Denied.Step && a.Denied.Code == b.Denied.Code && slices.Equal(a.Denied.Missing, b.Denied.Missing))
}
