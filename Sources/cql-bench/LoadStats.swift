/// When the measured window opens and closes, on CLOCK_MONOTONIC (ns). Requests sent before the start or
/// answered after the end are warm-up or tail and are not counted.
struct Schedule: Sendable {
    let measureStart: Int64
    let measureEnd: Int64
}

/// What one connection saw; merged over all connections at the end.
struct LoadStats: Sendable {
    var samples = LatencySamples()
    /// Responses (RESULT or ERROR) to requests sent and answered inside the window.
    var completedInWindow = 0
    /// ERROR frames over the whole run, warm-up included: an error is never a throughput.
    var errors = 0
    /// Responses that were neither RESULT nor ERROR, or on a stream with nothing in flight.
    var unexpected = 0
    /// Connections lost before the end of the run.
    var disconnects = 0
    var firstProblem: String?

    mutating func note(_ problem: String) {
        if firstProblem == nil { firstProblem = problem }
    }

    mutating func merge(_ other: LoadStats) {
        samples.merge(other.samples)
        completedInWindow += other.completedInWindow
        errors += other.errors
        unexpected += other.unexpected
        disconnects += other.disconnects
        if firstProblem == nil { firstProblem = other.firstProblem }
    }
}
