//go:build !linux

package cell

import "io"

// rawReader returns r: raw pipe reads are a Linux refinement.
func rawReader(r io.Reader) io.Reader { return r }

// rawWriter returns w.
func rawWriter(w io.Writer) io.Writer { return w }
