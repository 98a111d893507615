package fs

// perf_event has no resources: the container only joins it, so that perf
// can monitor it as a whole ("perf stat -G <cgroup>").
var perfEventController = controller{name: "perf_event"}
