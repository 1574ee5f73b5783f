package persistence

import (
	"fmt"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// Begin starts a write transaction (BEGIN IMMEDIATE: it takes the write
// lock now, so statements inside it never meet SQLITE_BUSY).
func (s *Store) Begin() error {
	if s.conn == nil {
		return fmt.Errorf("begin: %w (%s)", ErrReadOnly, s.path)
	}
	if s.inTx {
		return fmt.Errorf("begin: a write transaction is already open")
	}
	if err := s.applyPageLimit(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := s.exec(`BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	s.inTx, s.txSeq, s.txWfSeq = true, 0, 0
	return nil
}

// Commit commits the open write transaction. When it fails the transaction
// is rolled back and nothing it held was written.
func (s *Store) Commit() error {
	if !s.inTx {
		return fmt.Errorf("commit: no write transaction is open")
	}
	if err := s.exec(`COMMIT`); err != nil {
		_ = s.Rollback()
		return fmt.Errorf("commit: %w", err)
	}
	s.inTx = false
	if s.ckpt != nil {
		s.ckpt.poke()
	}
	// Advance the watermark of known pending jobs only when no other
	// process took a seq since we last looked; otherwise the next
	// ExternalChanges reads from the old watermark and finds theirs.
	if s.txSeq != 0 && s.txSeq == s.seenSeq+1 {
		s.seenSeq = s.txSeq
	}
	if s.txWfSeq != 0 && s.txWfSeq == s.seenWf+1 {
		s.seenWf = s.txWfSeq
	}
	// Our own commit does not change data_version on this connection, so
	// a later change there still means another process wrote.
	return nil
}

// Rollback abandons the open write transaction.
func (s *Store) Rollback() error {
	if !s.inTx {
		return nil
	}
	s.inTx = false
	if err := s.exec(`ROLLBACK`); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// Do runs fn inside a savepoint of the open write transaction. When fn
// returns an error, what it wrote is undone and the error returned; the
// transaction stays open for the other commands of the batch.
//
// SQLite may roll back the whole transaction after some errors (a full
// disk, I/O). Then Do's error matches ErrRolledBack as well as the cause:
// nothing of the transaction was written, it is closed, and the caller
// must not go on as if the batch's earlier changes were still pending.
func (s *Store) Do(fn func() error) (err error) {
	if !s.inTx {
		return fmt.Errorf("no write transaction is open")
	}
	seq, wfSeq := s.txSeq, s.txWfSeq
	release := sqlitex.Save(s.conn)
	defer func() {
		release(&err)
		if err != nil {
			s.txSeq, s.txWfSeq = seq, wfSeq
		}
		if s.conn.AutocommitEnabled() {
			s.inTx = false
			if err == nil {
				err = fmt.Errorf("write transaction ended inside a savepoint")
			}
			err = fmt.Errorf("%w: %w", ErrRolledBack, err)
		}
	}()
	return fn()
}

func (s *Store) exec(query string) error {
	stmt := s.conn.Prep(query)
	defer stmt.Reset()
	_, err := stmt.Step()
	return interpretError(err)
}

// nextSeq returns the ready_seq of the open transaction, taking the next
// value of the shared counter the first time it is needed.
func (s *Store) nextSeq() (int64, error) {
	if s.txSeq != 0 {
		return s.txSeq, nil
	}
	stmt := s.conn.Prep(`UPDATE gigq_meta SET value = value + 1 WHERE key = 'ready_seq' RETURNING value`)
	defer stmt.Reset()
	ok, err := stmt.Step()
	if err != nil {
		return 0, interpretError(err)
	}
	if !ok {
		return 0, fmt.Errorf("gigq_meta has no ready_seq row")
	}
	s.txSeq = stmt.ColumnInt64(0)
	// Drain the statement so it completes.
	if _, err := stmt.Step(); err != nil {
		return 0, interpretError(err)
	}
	return s.txSeq, nil
}

// eachRow steps stmt to its end, calling row for each row; it returns the
// first error. The caller resets stmt.
func eachRow(stmt *sqlite.Stmt, row func()) error {
	for {
		ok, err := stmt.Step()
		if err != nil || !ok {
			return err
		}
		row()
	}
}
