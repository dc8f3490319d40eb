// Package peers compares gevent-go's pool with other Go bounded-concurrency
// libraries on gevent's pool_map workload (bench/gevent/pool_map.py): one
// item of Map(identity, 0..N-1) with at most 100 items running at once,
// results in input order, the pool or group created inside the timed region.
// It is a separate module so that the library itself depends only on the
// standard library.
//
// gevent-go's own figure and the raw-Go baseline are the library's
// pool.BenchmarkPoolMap and pool.BenchmarkPoolMapRawGo, measured the same way
// (internal/benchbatch); cmd/geventbench runs them and these side by side.
// Alone: GOMAXPROCS=1 go test -bench . -benchmem
package peers
