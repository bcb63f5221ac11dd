//go:build js && wasm

// Command safejsfloor is the bare program of tests/bench_floor_test.go
// written with safejs, which sseshim's engine must use for every JavaScript
// call: the start-up and size floor of any program that does. safejs brings
// in fmt (it formats every JavaScript exception with it), and with fmt,
// reflect and strconv's float formatting.
package main

import "github.com/hack-pad/safejs"

func main() {
	add, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		a, _ := args[0].Int()
		b, _ := args[1].Int()
		return a + b
	})
	if err != nil {
		panic(err)
	}
	g := safejs.Global()
	if err := g.Set("bareAdd", add); err != nil {
		panic(err)
	}
	if _, err := g.Call("__bareReady"); err != nil {
		panic(err)
	}
	select {}
}
