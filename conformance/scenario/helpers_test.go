package scenario

import "math/rand/v2"

func testRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
