package persistencetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/gigq-go/gigq/persistence"
)

// rows is everything stored about one job: its row in jobs and its rows in
// job_executions, every column with its SQLite type, as read from the file.
type rows struct {
	Job        []any
	Executions [][]any
}

// snapshot reads a job's stored rows through the bundle's own connection.
// Two snapshots are equal only when every byte of every column is.
func (b *bundle) snapshot(t *testing.T, id persistence.JobID) rows {
	t.Helper()
	jobs := query(t, b.raw, `SELECT * FROM jobs WHERE id = ?`, string(id))
	require.Len(t, jobs, 1, "job %s", id)
	return rows{
		Job:        jobs[0],
		Executions: query(t, b.raw, `SELECT * FROM job_executions WHERE job_id = ? ORDER BY id`, string(id)),
	}
}

// count runs a SELECT count(*) through the bundle's own connection.
func (b *bundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	out := query(t, b.raw, q, args...)
	require.Len(t, out, 1)
	n, ok := out[0][0].(int64)
	require.True(t, ok, "%s: not a count: %v", q, out[0][0])
	return int(n)
}

// query returns every row of q, each column as nil, int64, float64, string
// or []byte according to its stored type.
func query(t *testing.T, conn *sqlite.Conn, q string, args ...any) [][]any {
	t.Helper()
	var out [][]any
	err := sqlitex.Execute(conn, q, &sqlitex.ExecOptions{
		Args: args,
		ResultFunc: func(stmt *sqlite.Stmt) error {
			row := make([]any, stmt.ColumnCount())
			for i := range row {
				switch stmt.ColumnType(i) {
				case sqlite.TypeNull:
					row[i] = nil
				case sqlite.TypeInteger:
					row[i] = stmt.ColumnInt64(i)
				case sqlite.TypeFloat:
					row[i] = stmt.ColumnFloat(i)
				case sqlite.TypeText:
					row[i] = stmt.ColumnText(i)
				default:
					buf := make([]byte, stmt.ColumnLen(i))
					stmt.ColumnBytes(i, buf)
					row[i] = buf
				}
			}
			out = append(out, row)
			return nil
		},
	})
	require.NoError(t, err, q)
	return out
}
