-- wrk's summary at the end of a run, in microseconds, for bench/scale.py: the 50th, 95th and 99th percentiles
-- (wrk --latency prints no 95th).
done = function(summary, latency, requests)
  io.write(string.format("bench-latency %d %d %d\n", latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
