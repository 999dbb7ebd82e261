// Package pipe overlaps making bytes with writing them: a Writer hands
// what it is given, in blocks, to a second goroutine that writes it on,
// so that a producer (a proof being serialised) and a slow consumer
// (hashing, a database insert) use two cores.
package pipe

import (
	"errors"
	"io"
	"sync/atomic"
)

// blocks is how many blocks a Writer holds: one being filled, the others
// queued or being written.
const blocks = 4

// Writer writes to its destination on its own goroutine, in the order
// given. Close must be called, even after an error: until it returns,
// the destination belongs to the Writer's goroutine.
type Writer struct {
	w      io.Writer
	size   int
	made   int // blocks allocated so far, up to blocks
	buf    []byte
	jobs   chan job
	free   chan []byte
	done   chan struct{}
	err    error // the first error of a job; read after done
	failed atomic.Bool
}

// job is a block to write, or a function to run.
type job struct {
	block []byte
	fn    func() error
}

// New starts a Writer to w that hands it blocks of size bytes. Blocks
// are allocated as they are needed: a short document takes one.
func New(w io.Writer, size int) *Writer {
	p := &Writer{
		w:    w,
		size: size,
		jobs: make(chan job, blocks),
		free: make(chan []byte, blocks),
		done: make(chan struct{}),
	}
	go p.run()
	return p
}

func (p *Writer) run() {
	defer close(p.done)
	for j := range p.jobs {
		if p.err == nil {
			if j.fn != nil {
				p.err = j.fn()
			} else {
				_, p.err = p.w.Write(j.block)
			}
			p.failed.Store(p.err != nil)
		}
		if j.block != nil {
			p.free <- j.block[:0]
		}
	}
}

// Do runs fn on the Writer's goroutine after what was written before it;
// an error of fn is the Writer's.
func (p *Writer) Do(fn func() error) error {
	if err := p.send(); err != nil {
		return err
	}
	p.jobs <- job{fn: fn}
	return nil
}

// Write copies b into blocks and queues each full one.
func (p *Writer) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if p.buf == nil {
			p.take()
		}
		k := min(len(b), cap(p.buf)-len(p.buf))
		p.buf, b = append(p.buf, b[:k]...), b[k:]
		if len(p.buf) == cap(p.buf) {
			if err := p.send(); err != nil {
				return n - len(b), err
			}
		}
	}
	return n, nil
}

// send queues the block being filled, if any, and takes a free one.
func (p *Writer) send() error {
	if p.failed.Load() {
		return errFailed
	}
	if len(p.buf) > 0 {
		p.jobs <- job{block: p.buf}
		p.buf = nil
	}
	return nil
}

// take makes a free block the one being filled.
func (p *Writer) take() {
	select {
	case p.buf = <-p.free:
	default:
		if p.made < blocks {
			p.made++
			p.buf = make([]byte, 0, p.size)
		} else {
			p.buf = <-p.free
		}
	}
}

// Close writes what is left, waits for the goroutine and returns the
// first error of a write or of a Do.
func (p *Writer) Close() error {
	if len(p.buf) > 0 {
		p.jobs <- job{block: p.buf}
		p.buf = nil
	}
	close(p.jobs)
	<-p.done
	return p.err
}

// errFailed is what Write and Do return once a job has failed; Close
// returns the job's own error.
var errFailed = errors.New("pipe: an earlier write failed")
