import CQLProtocol

/// What to do with an upstream error answer or a lost request (cql-proxy-compat.md, "Retries").
enum RetryDecision: Equatable {
    case sameNode
    case nextNode
    case giveUp
}

enum RetryPolicy {
    /// Attempts per request, the first included: enough to step over a dead or overloaded node or two.
    static let maxAttempts = 3

    /// The decision for an ERROR answer. `details` are the per-code fields, when the body could be decoded.
    static func decide(_ error: ErrorMessage, idempotent: Bool, attempt: Int) -> RetryDecision {
        guard attempt < maxAttempts else { return .giveUp }
        switch error.code {
        case .readTimeout:
            // Once on the same node: enough replicas answered but the data was not among them.
            guard attempt == 1, case .readTimeout(_, let received, let blockFor, let dataPresent) = error.details,
                  received >= blockFor, !dataPresent else { return .giveUp }
            return .sameNode
        case .unavailable:
            // The coordinator refused before doing anything: another coordinator may see more replicas.
            return attempt == 1 ? .nextNode : .giveUp
        case .isBootstrapping:
            return .nextNode
        case .serverError, .overloaded, .truncateError:
            return idempotent ? .nextNode : .giveUp
        default:
            return .giveUp
        }
    }

    /// The decision when the connection carrying the request died or the request timed out.
    static func decideLost(idempotent: Bool, attempt: Int) -> RetryDecision {
        idempotent && attempt < maxAttempts ? .nextNode : .giveUp
    }
}
