package persistence

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQueryPlans runs EXPLAIN QUERY PLAN on the exact text of the hot
// queries: each must read its partial index (pending jobs only), never
// scan the jobs table, and never sort: the index gives the order, so LIMIT
// stops early however many jobs the table holds.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	for _, tc := range []struct {
		name  string
		query string
		index string
	}{
		{"ReadyJobs", readyJobsQuery, "jobs_ready"},
		{"pendingSinceSeen", pendingSinceSeenQuery, "jobs_ready_seq"},
		{"DelayedJobs", delayedJobsQuery, "jobs_retry"},
	} {
		// Not parallel: the subtests share the write connection.
		t.Run(tc.name, func(t *testing.T) {
			plan := column(t, s.conn, "EXPLAIN QUERY PLAN "+tc.query, 3)
			text := strings.Join(plan, "\n")
			uses := regexp.MustCompile(`(SCAN|SEARCH) jobs USING (COVERING )?INDEX ` + tc.index + `\b`)
			require.Regexp(t, uses, text)
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN jobs") || strings.HasPrefix(line, "SEARCH jobs") {
					require.Contains(t, line, "INDEX "+tc.index, "plan:\n%s", text)
				}
			}
			require.NotContains(t, text, "TEMP B-TREE", "plan:\n%s", text)
		})
	}
}
