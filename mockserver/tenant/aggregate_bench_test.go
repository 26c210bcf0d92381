package tenant

import "testing"

// BenchmarkAggregate groups what the service account (half the rows) sees:
// by State (a few groups), and by Name (a group a row), each with four
// aggregates; the second stops at the group bound the data API's spec
// states.
func BenchmarkAggregate(b *testing.B) {
	t := loadBench(b)
	aggs := []Aggregation{{Func: AggCount, Field: "id"}, {Func: AggSum, Field: "Budget"},
		{Func: AggAvg, Field: "PercentComplete"}, {Func: AggMax, Field: "DueDate"}}
	for _, tc := range []struct {
		name  string
		group []string
	}{{"State", []string{"State"}}, {"Name", []string{"Name"}}} {
		b.Run("groupBy="+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = t.Aggregate(AggregateSpec{Type: "Project", User: 2001, GroupBy: tc.group, GroupPath: "groupBy",
					Aggregations: aggs, Limit: 100, MaxGroups: 100_000})
			}
		})
	}
}
