package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// testHooks lets tests act between pages; nil in the command.
type testHooks struct {
	afterPage func(pages int)
	clientOpt []client.Option
}

// checkpoint is what has been exported so far. It is written (atomically)
// after every page whose rows are safely in the NDJSON file: an interrupted
// export truncates the NDJSON file to Bytes and goes on from Next, so no row
// is written twice and none is lost. Once every page is in, the Parquet
// file is written, and only then is the export Done.
type checkpoint struct {
	Source string   `json:"source"`
	Type   string   `json:"type"`
	Fields []string `json:"fields,omitempty"`
	AsUser int64    `json:"asUser,omitempty"`
	// URL and Credential say where the rows come from and who may see
	// them: a resume with another tenant or credential would mix two sets
	// of visible rows.
	URL        string     `json:"url"`
	Credential credential `json:"credential"`
	// Next is where the next page starts: the data API's paging.from or the
	// relationship API's skip.
	Next  int   `json:"next"`
	Rows  int   `json:"rows"`
	Pages int   `json:"pages"`
	Bytes int64 `json:"bytes"` // of the NDJSON file
	// Fetched: the last page is in the journal. Done: the other outputs
	// (the Parquet file) are written too; a finished export is run again
	// from the start.
	Fetched bool `json:"fetched"`
	Done    bool `json:"done"`
	// Incremental and Since (-source data): the export asks only for rows
	// with LastUpdatedOn at or after Since.Time, and drops those of
	// Since.IDs still at exactly that time (see incremental.go). Since is
	// -since, or the previous export's Watermark with -incremental; nil
	// exports every row.
	Incremental bool       `json:"incremental,omitempty"`
	Since       *watermark `json:"since,omitempty"`
	// Watermark is the highest LastUpdatedOn exported by this export and
	// the ones before it (-source data), with the ids exported at it: the
	// next -incremental run starts there.
	Watermark *watermark `json:"watermark,omitempty"`
}

func (c *checkpoint) sameExport(o *checkpoint) bool {
	return c.sameRows(o) && c.Incremental == o.Incremental && (o.Incremental || sinceTime(c.Since) == sinceTime(o.Since))
}

// sameRows: c and o read the same type and fields as the same user, so an
// incremental export may continue from c's watermark.
func (c *checkpoint) sameRows(o *checkpoint) bool {
	return c.Source == o.Source && c.Type == o.Type && slices.Equal(c.Fields, o.Fields) && c.AsUser == o.AsUser
}

func sinceTime(w *watermark) string {
	if w == nil {
		return ""
	}
	return w.Time
}

// credential identifies who exports, without a secret: the login's user
// name, the OAuth client and its scopes, or the SHA-256 of the API key
// (never the key).
type credential struct {
	APIKeySHA256 string   `json:"apiKeySha256,omitempty"`
	User         string   `json:"user,omitempty"`
	ClientID     string   `json:"clientId,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
}

func (c *config) credential() credential {
	switch {
	case c.source == "rows":
		scopes := strings.Fields(c.scopes)
		slices.Sort(scopes)
		return credential{ClientID: c.clientID, Scopes: slices.Compact(scopes)}
	case c.apiKey != "":
		sum := sha256.Sum256([]byte(c.apiKey))
		return credential{APIKeySHA256: hex.EncodeToString(sum[:])}
	}
	return credential{User: c.user}
}

func (c credential) equal(o credential) bool {
	return c.APIKeySHA256 == o.APIKeySHA256 && c.User == o.User && c.ClientID == o.ClientID && slices.Equal(c.Scopes, o.Scopes)
}

func (c credential) String() string {
	switch {
	case c.APIKeySHA256 != "":
		return "an API key (SHA-256 " + c.APIKeySHA256[:min(12, len(c.APIKeySHA256))] + "…)"
	case c.User != "":
		return "user " + c.User
	case c.ClientID != "":
		return fmt.Sprintf("OAuth client %s (scopes %q)", c.ClientID, strings.Join(c.Scopes, " "))
	}
	return "no recorded credential"
}

// sameOrigin says why the checkpoint c cannot be resumed by the export o
// (another URL or credential), or "" when it can.
func (c *checkpoint) sameOrigin(o *checkpoint) string {
	switch {
	case c.URL != o.URL:
		u := c.URL
		if u == "" {
			u = "no recorded URL"
		}
		return fmt.Sprintf("it was written for %s, not %s", u, o.URL)
	case !c.Credential.equal(o.Credential):
		return fmt.Sprintf("it was written with %s, not %s", c.Credential, o.Credential)
	}
	return ""
}

func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged (%v); delete it to start over", path, err)
	}
	return &cp, nil
}

func (c *checkpoint) save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	// Written beside it, synced, then renamed over it: after a crash the
	// checkpoint is the old one or the new one, never a torn or empty file.
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// openJournal opens the NDJSON journal at path, positioned where the next
// page goes. A new export starts an empty journal. A resumed one needs the
// journal to hold at least the cp.Bytes its checkpoint (at cpPath) counts,
// and drops whatever an interrupted run wrote after them; a journal that is
// missing or shorter is refused (never padded), since the rows it lacks
// would be missing from the export.
func openJournal(path, cpPath string, cp *checkpoint, resumed bool) (*os.File, error) {
	if !resumed {
		return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	}
	refuse := func(what string) error {
		return fmt.Errorf("cannot resume the unfinished export in %s: the journal %s %s, but the checkpoint counts %d bytes (%d rows); "+
			"restore the journal to resume, or delete %s to start over", cpPath, path, what, cp.Bytes, cp.Rows, cpPath)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, refuse("is missing")
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.Size() < cp.Bytes {
		err = refuse(fmt.Sprintf("has %d bytes", st.Size()))
	}
	if err == nil && st.Size() > cp.Bytes {
		// Drop whatever an interrupted run wrote after its last checkpoint.
		err = f.Truncate(cp.Bytes)
	}
	if err == nil {
		_, err = f.Seek(cp.Bytes, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// page is one page of rows, already encoded as JSON objects.
type page struct {
	rows  []json.RawMessage
	seen  []seenRow // the rows' LastUpdatedOn (-source data), for the watermark
	next  int       // where the following page starts
	last  bool      // no page follows
	total int       // rows in all, when the API says (-1 otherwise)
}

// seenRow is an exported row's id and LastUpdatedOn.
type seenRow struct {
	id      string
	updated time.Time
	hash    string // of the exported JSON
}

// pager fetches the page that starts at from.
type pager func(ctx context.Context, from int) (*page, error)

// source is where an export's rows come from: its pager and, for entry rows,
// prepare, which reads the entry type's fields from the schema API before
// the first page (nil for the data API).
type source struct {
	fetch pager
	// prepare resolves -fields against the schema (every field when none
	// is given) and returns the Parquet columns of the schema's field
	// types.
	prepare func(ctx context.Context) ([]column, error)
	// since (-source data) limits the rows to those changed since; set
	// from the checkpoint before the first page.
	since *watermark
}

func newSource(c *config, extra []client.Option) (*source, error) {
	opts := append([]client.Option{client.WithUserAgent("tenantkit-datalake-export/" + client.Version)}, extra...)
	if c.asUser > 0 {
		opts = append(opts, client.WithAsUser(c.asUser))
	}
	switch c.source {
	case "data":
		var p auth.Provider = auth.APIKey(c.apiKey)
		if c.apiKey == "" {
			s, err := auth.NewSession(c.baseURL, c.user, c.password)
			if err != nil {
				return nil, err
			}
			p = s
		}
		cl, err := client.New(c.baseURL, append(opts, client.WithAuth(p))...)
		if err != nil {
			return nil, err
		}
		src := &source{}
		var fields []string // resolved by prepare: the metadata's names
		src.prepare = func(ctx context.Context) ([]column, error) {
			described, err := dataFields(ctx, cl, c.typeName, c.fields)
			if err != nil {
				return nil, err
			}
			fields = make([]string, len(described))
			for i, f := range described {
				fields[i] = f.Name
			}
			return dataColumns(described), nil
		}
		src.fetch = func(ctx context.Context, from int) (*page, error) {
			req := dataapi.EntityQueryRequest{TypeName: c.typeName, Paging: &dataapi.Paging{From: &from, Limit: &c.pageSize},
				Where: sinceCondition(src.since)}
			if len(fields) > 0 {
				req.Fields = &fields
			}
			res, err := cl.Data.EntityQuery(ctx, req)
			if err != nil {
				return nil, err
			}
			out := &page{total: -1, last: res.Paging.HasMore == nil || !*res.Paging.HasMore, next: from + len(res.Entities)}
			if !out.last && res.Paging.From != nil {
				out.next = *res.Paging.From
			}
			if !out.last && out.next <= from {
				return nil, fmt.Errorf("the server says there is more but paging.from did not advance (%d)", from)
			}
			for _, e := range res.Entities {
				var updated time.Time
				if s, ok := e.AdditionalProperties[lastUpdatedOn].(string); ok {
					updated, _ = time.Parse(time.RFC3339, s)
				}
				b, err := json.Marshal(e)
				if err != nil {
					return nil, err
				}
				r := seenRow{id: e.Id, updated: updated, hash: rowHash(b)}
				if seenAlready(src.since, r) {
					continue
				}
				if !updated.IsZero() {
					out.seen = append(out.seen, r)
				}
				out.rows = append(out.rows, b)
			}
			return out, nil
		}
		return src, nil
	default: // rows
		cc, err := auth.NewClientCredentials(auth.ClientCredentialsConfig{
			TokenURL: auth.RelationshipTokenURL(c.baseURL), ClientID: c.clientID, ClientSecret: c.clientSecret,
			Scopes: strings.Fields(c.scopes), Style: auth.StyleForm,
		})
		if err != nil {
			return nil, err
		}
		cl, err := client.New(c.baseURL, append(opts, client.WithAuth(cc))...)
		if err != nil {
			return nil, err
		}
		src := &source{}
		var fields []string // resolved by prepare: the schema's names
		src.prepare = func(ctx context.Context) ([]column, error) {
			schema, err := cl.Relationship.EntryTypeFields(ctx, c.typeName, nil)
			if err != nil {
				return nil, err
			}
			chosen, err := chooseFields(c.typeName, schema, c.fields)
			if err != nil {
				return nil, err
			}
			fields = make([]string, len(chosen))
			for i, f := range chosen {
				fields[i] = f.ApiName
			}
			return schemaColumns(chosen), nil
		}
		src.fetch = func(ctx context.Context, skip int) (*page, error) {
			params := &relationshipapi.GetRowsParams{Skip: &skip, Limit: &c.pageSize}
			if len(fields) > 0 {
				params.Fields = &fields
			}
			res, err := cl.Relationship.Rows(ctx, c.typeName, params)
			if err != nil {
				return nil, err
			}
			// The server may answer fewer rows than asked for (its own page
			// cap): the next page starts after the rows received.
			out := &page{total: int(res.TotalRecords), next: skip + len(res.Rows), last: len(res.Rows) == 0}
			out.last = out.last || out.next >= out.total
			for _, r := range res.Rows {
				b, err := json.Marshal(r)
				if err != nil {
					return nil, err
				}
				out.rows = append(out.rows, b)
			}
			return out, nil
		}
		return src, nil
	}
}

// unknownFieldError is a -fields name the entry type's schema does not
// have: a usage error.
type unknownFieldError struct{ error }

// chooseFields picks the schema's fields named by names (ignoring case, in
// the order given, each once), or every field when names is empty. A name
// the schema does not have is an unknownFieldError listing the fields.
func chooseFields(typeName string, schema []relationshipapi.Field, names []string) ([]relationshipapi.Field, error) {
	if len(names) == 0 {
		return schema, nil
	}
	var out []relationshipapi.Field
	seen := map[string]bool{}
	for _, n := range names {
		if strings.EqualFold(n, "EntryId") {
			continue // always exported
		}
		i := slices.IndexFunc(schema, func(f relationshipapi.Field) bool { return strings.EqualFold(f.ApiName, n) })
		if i < 0 {
			all := make([]string, len(schema))
			for j, f := range schema {
				all[j] = f.ApiName
			}
			return nil, unknownFieldError{fmt.Errorf("-fields: %s has no field %q (its fields: %s)", typeName, n, strings.Join(all, ", "))}
		}
		if !seen[schema[i].ApiName] {
			seen[schema[i].ApiName] = true
			out = append(out, schema[i])
		}
	}
	return out, nil
}

// export runs (or resumes) the export described by c.
func export(ctx context.Context, c *config, stdout, stderr io.Writer, hooks *testHooks) error {
	var extra []client.Option
	if hooks != nil {
		extra = hooks.clientOpt
	}
	src, err := newSource(c, extra)
	if err != nil {
		return permanentError{err}
	}
	ndjsonPath, parquetPath, cpPath := c.out+".ndjson", c.out+".parquet", c.out+".checkpoint.json"
	// The rows go to a journal beside the NDJSON file, renamed into place
	// when the export is finished: the outputs of an earlier run stay
	// untouched until then.
	journalPath := ndjsonPath + ".part"
	want := &checkpoint{Source: c.source, Type: c.typeName, Fields: c.fields, AsUser: c.asUser,
		URL: strings.TrimRight(c.baseURL, "/"), Credential: c.credential(), Incremental: c.incremental, Since: c.since.clone()}
	if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
		return err
	}
	cp, err := loadCheckpoint(cpPath)
	if err != nil {
		return err
	}
	resumed := cp != nil && !cp.Done
	switch {
	case cp == nil || cp.Done:
		if c.incremental {
			// The previous finished export's watermark is where this one
			// starts; without one (no earlier data export), every row.
			switch {
			case cp == nil || cp.Watermark == nil:
				fmt.Fprintf(stderr, "no earlier export of %s with a watermark in %s: exporting every row\n", c.typeName, cpPath)
			case !cp.sameRows(want):
				return permanentError{fmt.Errorf("%s belongs to another export (%s %s); -incremental continues the same export (same -type and -fields)", cpPath, cp.Source, cp.Type)}
			case cp.sameOrigin(want) != "":
				return permanentError{fmt.Errorf("-incremental: the earlier export in %s: %s; an incremental export continues from the same -url and credential", cpPath, cp.sameOrigin(want))}
			default:
				want.Since = cp.Watermark.clone()
				want.Watermark = cp.Watermark.clone()
				fmt.Fprintf(stderr, "exporting the rows of %s changed since %s (the watermark in %s)\n", c.typeName, want.Since.Time, cpPath)
			}
		}
		cp = want // a finished export is run again from the start
	case !cp.sameExport(want):
		return permanentError{fmt.Errorf("%s belongs to another export (%s %s); delete it or choose another -out", cpPath, cp.Source, cp.Type)}
	default:
		if why := cp.sameOrigin(want); why != "" {
			return permanentError{fmt.Errorf("cannot resume the unfinished export in %s: %s; run it again with the same -url and credential to resume, "+
				"or delete %s to start over", cpPath, why, cpPath)}
		}
	}

	// Entry rows: the fields come from the schema, checked before a page
	// is fetched or a journal opened.
	var cols []column // nil: inferred from the rows
	if src.prepare != nil {
		if cols, err = src.prepare(ctx); err != nil {
			var ufe unknownFieldError
			switch {
			case errors.As(err, &ufe):
				return usageError{err}
			case refused(err):
				return permanentError{fmt.Errorf("reading the fields of %s: %w; the API refuses this request, so running it again fails the same way "+
					"until the credential, its grant or the flags are fixed", c.typeName, err)}
			}
			return fmt.Errorf("reading the fields of %s: %w; run the same command again", c.typeName, err)
		}
	}
	f, err := openJournal(journalPath, cpPath, cp, resumed)
	if err != nil {
		return permanentError{err}
	}
	defer f.Close()
	switch {
	case resumed && cp.Fetched:
		fmt.Fprintf(stderr, "every page of %s was fetched earlier (%d rows, %s); writing the outputs\n", c.typeName, cp.Rows, plural(cp.Pages, "page"))
	case resumed:
		fmt.Fprintf(stderr, "resuming %s after %d rows (%s)\n", c.typeName, cp.Rows, plural(cp.Pages, "page"))
	}

	src.since = cp.Since
	startRows, startPages := cp.Rows, cp.Pages
	start := time.Now()
	if err := fetchAll(ctx, c, src.fetch, f, cp, cpPath, stderr, hooks); err != nil {
		if cp.Pages == 0 { // nothing to resume from: leave no empty journal behind
			f.Close()
			os.Remove(journalPath)
		}
		return err
	}
	elapsed := time.Since(start)

	// Every row is in the journal: write the Parquet file, move the journal
	// into place, and only then say the export is done. If this is cut
	// short, the next run redoes it without fetching a page.
	outputs := []string{ndjsonPath}
	if slices.Contains(c.formats, "parquet") {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		n, err := writeParquet(ctx, f, parquetPath, c.source, cols)
		if err == nil && n != cp.Rows {
			err = fmt.Errorf("%d rows, but the export has %d", n, cp.Rows)
		}
		if err != nil {
			return fmt.Errorf("all %d rows are in %s, but writing %s stopped: %w; run the same command again to write it (no page is fetched again)",
				cp.Rows, journalPath, parquetPath, err)
		}
		outputs = append(outputs, parquetPath)
	} else {
		// A Parquet file of an earlier run would not match the new NDJSON.
		err := os.Remove(parquetPath)
		switch {
		case err == nil:
			fmt.Fprintf(stderr, "removed %s of an earlier export (-format ndjson writes none)\n", parquetPath)
		case !errors.Is(err, os.ErrNotExist):
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(journalPath, ndjsonPath); err != nil {
		return err
	}
	cp.Done = true
	if err := cp.save(cpPath); err != nil {
		return err
	}

	changed := ""
	if cp.Since != nil {
		changed = " changed since " + cp.Since.Time
	}
	fmt.Fprintf(stdout, "exported %d rows of %s%s in %s to %s", cp.Rows, c.typeName, changed, plural(cp.Pages, "page"), strings.Join(outputs, " and "))
	if cp.Pages > startPages {
		fmt.Fprintf(stdout, " (%.0f rows/s)", float64(cp.Rows-startRows)/max(elapsed.Seconds(), 1e-3))
	}
	fmt.Fprintln(stdout)
	if cp.Watermark != nil {
		fmt.Fprintf(stderr, "watermark of %s: LastUpdatedOn %s (-incremental continues from there)\n", cpPath, cp.Watermark.Time)
	}
	return nil
}

// fetchAll fetches the pages the checkpoint cp does not have yet, appends
// their rows to the journal f and saves the checkpoint after every page,
// until the last page is in (cp.Fetched).
func fetchAll(ctx context.Context, c *config, fetch pager, f *os.File, cp *checkpoint, cpPath string, stderr io.Writer, hooks *testHooks) error {
	if cp.Fetched {
		return nil
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetVisibility(c.progress),
		progressbar.OptionSetDescription(c.typeName),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	_ = bar.Set(cp.Rows)

	w := bufio.NewWriterSize(f, 1<<16)
	for !cp.Fetched {
		pg, err := fetch(ctx, cp.Next)
		if err != nil {
			_ = bar.Exit()
			if refused(err) {
				return permanentError{fmt.Errorf("export stopped after %d rows (%s; next page at %d): %w; "+
					"the API refuses this request, so running it again fails the same way until the credential, its grant or the flags are fixed "+
					"(then the same command resumes from the checkpoint)", cp.Rows, plural(cp.Pages, "page"), cp.Next, err)}
			}
			return fmt.Errorf("export stopped after %d rows (%s; next page at %d): %w; run the same command again to resume",
				cp.Rows, plural(cp.Pages, "page"), cp.Next, err)
		}
		if pg.total >= 0 && bar.GetMax64() != int64(pg.total) {
			bar.ChangeMax64(int64(pg.total))
		}
		for _, r := range pg.rows {
			w.Write(r)
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		for _, r := range pg.seen {
			if cp.Watermark == nil {
				cp.Watermark = &watermark{}
			}
			cp.Watermark.observe(r)
		}
		cp.Rows += len(pg.rows)
		cp.Pages++
		cp.Next, cp.Bytes, cp.Fetched = pg.next, pos, pg.last
		if err := cp.save(cpPath); err != nil {
			return err
		}
		_ = bar.Add(len(pg.rows))
		if hooks != nil && hooks.afterPage != nil {
			hooks.afterPage(cp.Pages)
		}
	}
	_ = bar.Finish()
	return nil
}

// refused reports whether err is an answer of the API that a rerun would
// get again: a 4xx other than 429 (the retries already waited out 429s,
// 5xx and network failures, which a later run may get past).
func refused(err error) bool {
	status := 0
	var ae *client.APIError
	var te *auth.TokenError
	var le *auth.LoginError
	switch {
	case errors.As(err, &ae):
		status = ae.StatusCode
	case errors.As(err, &te):
		status = te.StatusCode
	case errors.As(err, &le):
		status = le.StatusCode
	}
	return status >= 400 && status < 500 && status != http.StatusTooManyRequests
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
