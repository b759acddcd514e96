// Package echo returns its argument, for every type the fuzzer sends to Go.
package echo

// Thing is an opaque Go value crossing as a handle.
type Thing struct{ N int }

// NewThing makes a Thing.
func NewThing(n int) *Thing { return &Thing{N: n} }

func EchoI8(x int8) int8             { return x }
func EchoI16(x int16) int16          { return x }
func EchoI32(x int32) int32          { return x }
func EchoI64(x int64) int64          { return x }
func EchoU8(x uint8) uint8           { return x }
func EchoU16(x uint16) uint16        { return x }
func EchoU32(x uint32) uint32        { return x }
func EchoU64(x uint64) uint64        { return x }
func EchoF32(x float32) float32      { return x }
func EchoF64(x float64) float64      { return x }
func EchoBool(x bool) bool           { return x }
func EchoString(x string) string     { return x }
func EchoAny(x any) any              { return x }
func EchoI64s(x []int64) []int64     { return x }
func EchoF64s(x []float64) []float64 { return x }
func EchoU8s(x []uint8) []uint8      { return x }
func EchoStrings(x []string) []string { return x }
func EchoBools(x []bool) []bool      { return x }
func EchoI32s2(x [][]int32) [][]int32 { return x }
