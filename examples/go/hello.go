package main

import "fmt"

// SayHello greets someone.
func SayHello(name string) string {
	return fmt.Sprintf("Hello, %s!", name)
}

func main() {}
