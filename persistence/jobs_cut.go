package persistence

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"zombiezen.com/go/sqlite"

	"github.com/gigq-go/gigq/internal/utf8cut"
)

// cutJobColumns are jobColumns where params, result and error longer than
// $cut bytes read as empty, followed by the flags that tell which were
// longer and the rowid that readPrefix opens them by. octet_length comes
// from the record's header, and the CASE reads a long value not at all,
// so a row costs the same whatever the size of its values. (substr would
// read the whole value into SQLite's memory first: 20 ms a megabyte.)
var cutJobColumns = cutColumns(jobColumns, "params", "coalesce(result, '')", "coalesce(error, '')") +
	`, octet_length(params) > $cut, coalesce(octet_length(result), 0) > $cut,
	coalesce(octet_length(error), 0) > $cut, jobs.rowid`

// cutColumns replaces each of the named columns in cols by an empty text
// when the value is longer than $cut bytes. It panics when one is
// missing: the columns are constants.
func cutColumns(cols string, names ...string) string {
	for _, name := range names {
		field := ", " + name + ","
		if !strings.Contains(cols, field) {
			panic("persistence: no column " + name + " in the job columns")
		}
		column := strings.TrimSuffix(strings.TrimPrefix(name, "coalesce("), ", '')")
		cols = strings.Replace(cols, field,
			", CASE WHEN octet_length("+column+") > $cut THEN '' ELSE "+name+" END,", 1)
	}
	return cols
}

// scanCut reads a row of cutJobColumns: the job, and for each value that
// is longer than limit its first limit bytes, read from the row itself
// (SQLite's incremental blob I/O reads only the pages they are on), cut
// back to a UTF-8 boundary.
func scanCut(conn *sqlite.Conn, stmt *sqlite.Stmt, limit int) (Job, error) {
	const first = 33 // the number of jobColumns
	j := scanJob(stmt)
	j.ParamsTruncated = stmt.ColumnBool(first)
	j.ResultTruncated = stmt.ColumnBool(first + 1)
	j.ErrorTruncated = stmt.ColumnBool(first + 2)
	rowid := stmt.ColumnInt64(first + 3)
	var err error
	if j.ParamsTruncated {
		if j.Params, err = readPrefix(conn, "params", rowid, limit); err != nil {
			return j, err
		}
	}
	if j.ResultTruncated {
		if j.Result, err = readPrefix(conn, "result", rowid, limit); err != nil {
			return j, err
		}
	}
	if j.ErrorTruncated {
		b, err := readPrefix(conn, "error", rowid, limit)
		if err != nil {
			return j, err
		}
		j.Error = string(b)
	}
	return j, nil
}

// readPrefix reads the first limit bytes of a column of the jobs row with
// the given rowid, cut back to a UTF-8 boundary.
func readPrefix(conn *sqlite.Conn, column string, rowid int64, limit int) (json.RawMessage, error) {
	blob, err := conn.OpenBlob("main", "jobs", column, rowid, false)
	if err != nil {
		return nil, fmt.Errorf("read the start of %s: %w", column, err)
	}
	defer blob.Close()
	b := make([]byte, min(int64(limit), blob.Size()))
	if _, err := io.ReadFull(blob, b); err != nil {
		return nil, fmt.Errorf("read the start of %s: %w", column, err)
	}
	return utf8cut.TrimEnd(b), nil
}
