package main

import (
	"io"
	"strconv"
)

var ioEOF = io.EOF

func itoa(i int) string { return strconv.Itoa(i) }
