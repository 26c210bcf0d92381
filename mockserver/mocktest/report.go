package mocktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tenantkit/tenantkit/mockserver"
)

// Report returns the tenant's least-privilege report so far: per
// credential, the scopes, permissions and entity types granted, used,
// never used, and needed but missing.
func (s *Server) Report() *mockserver.Report {
	s.t.Helper()
	r, err := s.Mock.LeastPrivilege(s.Tenant().ID())
	if err != nil {
		s.t.Fatalf("mocktest: %v", err)
	}
	return r
}

// Visibility returns what a user sees in the UI versus what each of its
// API credentials reads, for one entity type.
func (s *Server) Visibility(user int64, entityType string) *mockserver.VisibilityDiff {
	s.t.Helper()
	d, err := s.Mock.Visibility(s.Tenant().ID(), user, entityType)
	if err != nil {
		s.t.Fatalf("mocktest: %v", err)
	}
	return d
}

// CheckGrant compares the run so far with a grant manifest (format:
// mockserver.Manifest, docs/guides/least-privilege.md) and reports each excess or
// shortfall as a test error, such as "demo-integrator: the manifest grants
// scope user_management, which the run never used".
func (s *Server) CheckGrant(manifestPath string) {
	s.t.Helper()
	m, err := mockserver.LoadManifest(manifestPath)
	if err != nil {
		s.t.Errorf("mocktest: %v", err)
		return
	}
	for _, p := range s.Report().Check(m) {
		s.t.Errorf("mocktest: grant check: %s", p)
	}
}

// WithReportFile writes the least-privilege report to path when the test
// ends: JSON when the name ends in .json, text otherwise.
func WithReportFile(path string) Option {
	return func(c *config) { c.atEnd = append(c.atEnd, func(s *Server) { s.writeReport(path) }) }
}

// WithGrantManifest checks the run against a grant manifest when the test
// ends (see CheckGrant).
func WithGrantManifest(path string) Option {
	return func(c *config) { c.atEnd = append(c.atEnd, func(s *Server) { s.CheckGrant(path) }) }
}

// WithReportSet adds the server's report to set when the test ends, so a
// package can write or check one report for all its tests.
func WithReportSet(set *ReportSet) Option {
	return func(c *config) { c.atEnd = append(c.atEnd, func(s *Server) { set.Add(s.Report()) }) }
}

func (s *Server) writeReport(path string) {
	s.t.Helper()
	if err := writeReportFile(path, s.Report()); err != nil {
		s.t.Errorf("mocktest: %v", err)
	}
}

func writeReportFile(path string, r *mockserver.Report) error {
	var b []byte
	if strings.EqualFold(filepath.Ext(path), ".json") {
		var err error
		if b, err = json.MarshalIndent(r, "", "  "); err != nil {
			return err
		}
		b = append(b, '\n')
	} else {
		var sb strings.Builder
		if err := r.WriteText(&sb); err != nil {
			return err
		}
		b = []byte(sb.String())
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// ReportSet collects the reports of many servers, for a whole test
// package:
//
//	var reports = mocktest.NewReportSet()
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := reports.WriteFile("least-privilege.txt"); err != nil { ... }
//		os.Exit(code)
//	}
//
//	// in each test: mocktest.Start(t, mocktest.WithReportSet(reports))
//
// It is safe for concurrent use.
type ReportSet struct {
	mu      sync.Mutex
	reports []*mockserver.Report
}

// NewReportSet returns an empty set.
func NewReportSet() *ReportSet { return &ReportSet{} }

// Add adds one run's report.
func (rs *ReportSet) Add(r *mockserver.Report) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.reports = append(rs.reports, r)
}

// Report returns the merged report of every run added so far.
func (rs *ReportSet) Report() *mockserver.Report {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return mockserver.MergeReports(rs.reports...)
}

// WriteFile writes the merged report: JSON when the name ends in .json,
// text otherwise.
func (rs *ReportSet) WriteFile(path string) error { return writeReportFile(path, rs.Report()) }

// Check compares the merged report with a grant manifest and returns one
// sentence per excess or shortfall.
func (rs *ReportSet) Check(manifestPath string) ([]string, error) {
	m, err := mockserver.LoadManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	return rs.Report().Check(m), nil
}
