package actors

import (
	"container/heap"

	"github.com/gigq-go/gigq/persistence"
)

// readyWindow holds the best ready jobs of one task, up to a limit, best
// first; the dispatcher keeps one per task that some worker can run.
// overflow says the database may hold ready jobs of the task that the
// window lacks (it dropped one, or has not been filled yet).
type readyWindow struct {
	jobs     readyHeap
	in       map[persistence.JobID]struct{}
	worst    *persistence.ReadyJob // cached worst job of a full window
	limit    int
	overflow bool
}

func newReadyWindow(limit int) *readyWindow {
	return &readyWindow{in: map[persistence.JobID]struct{}{}, limit: limit, overflow: true}
}

func (w *readyWindow) Len() int { return w.jobs.Len() }

func (w *readyWindow) has(id persistence.JobID) bool {
	_, ok := w.in[id]
	return ok
}

// peek is the best job; the window must not be empty.
func (w *readyWindow) peek() persistence.ReadyJob { return w.jobs[0] }

// pop takes the best job out; the window must not be empty.
func (w *readyWindow) pop() persistence.ReadyJob {
	j := heap.Pop(&w.jobs).(persistence.ReadyJob)
	delete(w.in, j.ID)
	if w.jobs.Len() == 0 {
		w.worst = nil
	}
	return j
}

// push adds a job, evicting the worst one when the window is full and the
// new job is better.
func (w *readyWindow) push(j persistence.ReadyJob) {
	if w.has(j.ID) {
		return
	}
	if w.jobs.Len() < w.limit {
		heap.Push(&w.jobs, j)
		w.in[j.ID] = struct{}{}
		if w.worst != nil && w.worst.Less(j) {
			w.worst = &j
		}
		return
	}
	w.overflow = true
	if w.worst == nil {
		w.worst = w.findWorst()
	}
	if !j.Less(*w.worst) {
		return // not better than what we hold; a refill finds it later
	}
	for i := range w.jobs {
		if w.jobs[i].ID == w.worst.ID {
			heap.Remove(&w.jobs, i)
			delete(w.in, w.worst.ID)
			break
		}
	}
	heap.Push(&w.jobs, j)
	w.in[j.ID] = struct{}{}
	w.worst = w.findWorst()
}

func (w *readyWindow) findWorst() *persistence.ReadyJob {
	if len(w.jobs) == 0 {
		return nil
	}
	worst := w.jobs[0]
	for _, j := range w.jobs[1:] {
		if worst.Less(j) {
			worst = j
		}
	}
	return &worst
}

// readyHeap orders ready jobs best first.
type readyHeap []persistence.ReadyJob

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return h[i].Less(h[j]) }
func (h readyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)        { *h = append(*h, x.(persistence.ReadyJob)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
