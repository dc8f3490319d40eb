package core

// Ends returns how many of the hub's greenlets have ended so far: the end
// number (G.EndSeq) the next one to end will have, minus one. Any
// goroutine. A joiner reads it before it waits, so that the end numbers of
// the greenlets it joins, when they all end after that and nothing else
// ends in between, are the next len(tasks) numbers: it can then place each
// at its rank without sorting.
func (h *Hub) Ends() uint64 { return h.endSeq.Load() }
