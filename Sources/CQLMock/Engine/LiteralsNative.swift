import Foundation
import CQLProtocol

/// Constants of native types, and the few functions usable as terms (now(), uuid(), ...).
extension Binder {
    func native(_ t: Term, _ d: DataType, _ type: CQLType, _ col: String) throws(EngineError) -> CQLValue {
        switch (t, d) {
        case let (.string(s), .ascii):
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else { throw .invalid("Invalid ASCII character in string literal") }
            return .text(s)
        case let (.string(s), .varchar):
            return .text(s)
        case let (.string(s), .timestamp):
            guard let ms = Binder.parseTimestamp(s) else {
                throw .invalid("Unable to coerce '\(s)' to a formatted date (long)")
            }
            return .int(ms)
        case let (.string(s), .date):
            guard let days = Binder.parseDate(s) else { throw .invalid("Unable to coerce '\(s)' to a formatted date (long)") }
            return .date(UInt32(truncatingIfNeeded: Int64(days) + (1 << 31)))
        case let (.string(s), .time):
            guard let ns = Binder.parseTime(s) else { throw .invalid("Unable to coerce '\(s)' to a formatted time (long)") }
            return .int(ns)
        case let (.string(s), .inet):
            guard let a = Binder.parseInet(s) else { throw .invalid("Unable to make inet address from '\(s)'") }
            return .inet(a)
        case let (.integer(s), .tinyint), let (.integer(s), .smallint), let (.integer(s), .int),
             let (.integer(s), .bigint), let (.integer(s), .counter), let (.integer(s), .timestamp),
             let (.integer(s), .time):
            let range: ClosedRange<Int64>
            switch d {
            case .tinyint: range = Int64(Int8.min)...Int64(Int8.max)
            case .smallint: range = Int64(Int16.min)...Int64(Int16.max)
            case .int: range = Int64(Int32.min)...Int64(Int32.max)
            default: range = Int64.min...Int64.max
            }
            guard let v = Int64(s), range.contains(v) else {
                throw .invalid("Invalid \(t.kindName) constant (\(s)) for \"\(col)\" of type \(type.text)")
            }
            return .int(v)
        case let (.integer(s), .date):
            guard let v = UInt32(s) else { throw invalid(t, s, col, type) }
            return .date(v)
        case let (.integer(s), .varint):
            return .varint(Binder.twosComplement(s))
        case let (.integer(s), .decimal), let (.float(s), .decimal):
            guard let d = Binder.decimal(s) else { throw invalid(t, s, col, type) }
            return d
        case let (.integer(s), .float), let (.float(s), .float):
            guard let v = Float(s) else { throw invalid(t, s, col, type) }
            return .float(v)
        case let (.integer(s), .double), let (.float(s), .double):
            guard let v = Double(s) else { throw invalid(t, s, col, type) }
            return .double(v)
        case (.nan, .float): return .float(.nan)
        case (.nan, .double): return .double(.nan)
        case (.infinity, .float): return .float(.infinity)
        case (.infinity, .double): return .double(.infinity)
        case (.negative(.infinity), .float): return .float(-.infinity)
        case (.negative(.infinity), .double): return .double(-.infinity)
        case let (.boolean(b), .boolean):
            return .boolean(b)
        case let (.uuid(u), .uuid):
            return .uuid(u)
        case let (.uuid(u), .timeuuid):
            guard u.uuid.6 >> 4 == 1 else { throw .invalid("Unsupported UUID for timeuuid column \(col): not a version 1 UUID") }
            return .uuid(u)
        case let (.blob(b), .blob), let (.blob(b), .custom):
            return .blob(b)
        case let (.duration(s), .duration), let (.string(s), .duration):
            guard let v = Binder.parseDuration(s) else { throw .invalid("Unable to convert '\(s)' to a duration") }
            return v
        case let (.integer(s), .duration):
            throw invalid(t, s, col, type)
        default:
            let text: String
            switch t {
            case let .string(s): text = s
            case let .integer(s), let .float(s), let .duration(s): text = s
            case let .boolean(b): text = b ? "true" : "false"
            case let .uuid(u): text = u.uuidString.lowercased()
            case let .blob(b): text = "0x" + b.map { String(format: "%02x", $0) }.joined()
            default:
                throw .invalid("Invalid collection literal for \(col) of type \(type.text)")
            }
            throw invalid(t, text, col, type)
        }
    }

    func function(_ name: String, _ args: [Term], _ type: CQLType, _ col: String) throws(EngineError) -> CQLValue {
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let result: (CQLValue, DataType)
        switch (name, args.count) {
        case ("now", 0), ("currenttimeuuid", 0): result = (.uuid(Binder.timeUUID(ms: nowMs)), .timeuuid)
        case ("uuid", 0): result = (.uuid(UUID()), .uuid)
        case ("currenttimestamp", 0): result = (.int(nowMs), .timestamp)
        case ("currentdate", 0):
            result = (.date(UInt32(truncatingIfNeeded: nowMs / 86_400_000 + (1 << 31))), .date)
        case ("totimestamp", 1), ("tounixtimestamp", 1), ("todate", 1):
            guard case let .function(inner, innerArgs) = args[0], inner == "now" || inner == "currenttimeuuid",
                  innerArgs.isEmpty else {
                throw .invalid("Function system.\(name) is only supported on now() by this mock")
            }
            switch name {
            case "totimestamp": result = (.int(nowMs), .timestamp)
            case "tounixtimestamp": result = (.int(nowMs), .bigint)
            default: result = (.date(UInt32(truncatingIfNeeded: nowMs / 86_400_000 + (1 << 31))), .date)
            }
        default:
            throw .invalid("Unknown function \(name) called")
        }
        let target = type.dataType
        let compatible = result.1 == target || (result.1 == .timeuuid && target == .uuid)
            || (result.1 == .timestamp && target == .bigint)
        guard compatible else {
            throw .invalid("Type error: \(name)() cannot be passed as argument 0 of function for \(col) of type \(type.text)")
        }
        return result.0
    }

    /// A version 1 UUID for `ms` (random clock sequence and node), so timeuuids sort by time.
    static func timeUUID(ms: Int64) -> UUID {
        let ticks = UInt64(ms) &* 10_000 &+ 0x01B2_1DD2_1381_4000 &+ UInt64.random(in: 0..<10_000)
        var r = UUID().uuid
        r.0 = UInt8(truncatingIfNeeded: ticks >> 24); r.1 = UInt8(truncatingIfNeeded: ticks >> 16)
        r.2 = UInt8(truncatingIfNeeded: ticks >> 8); r.3 = UInt8(truncatingIfNeeded: ticks)
        r.4 = UInt8(truncatingIfNeeded: ticks >> 40); r.5 = UInt8(truncatingIfNeeded: ticks >> 32)
        r.6 = UInt8(truncatingIfNeeded: ticks >> 56) & 0x0F | 0x10; r.7 = UInt8(truncatingIfNeeded: ticks >> 48)
        r.8 = r.8 & 0x3F | 0x80
        return UUID(uuid: r)
    }

    // MARK: parsing of string forms

    /// Days since the epoch of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func parseDate(_ s: String) -> Int? {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]),
              (-5_000_000...5_000_000).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        return days(year: y, month: m, day: d)
    }

    static func parseTime(_ s: String) -> Int64? {
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first else { return nil }
        let hms = first.split(separator: ":")
        guard hms.count == 3, let h = Int64(hms[0]), let m = Int64(hms[1]), let sec = Int64(hms[2]),
              (0..<24).contains(h), (0..<60).contains(m), (0..<60).contains(sec) else { return nil }
        var ns: Int64 = 0
        if parts.count == 2 {
            let frac = String(parts[1])
            guard frac.count <= 9, let f = Int64(frac) else { return nil }
            ns = f * Int64(pow(10.0, Double(9 - frac.count)))
        }
        return ((h * 60 + m) * 60 + sec) * 1_000_000_000 + ns
    }

    /// `yyyy-mm-dd[( |T)hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm]`, UTC when no zone is given.
    static func parseTimestamp(_ s: String) -> Int64? {
        if let v = Int64(s) { return v }
        var str = Substring(s.trimmingCharacters(in: .whitespaces))
        guard str.count >= 10, let days = parseDate(String(str.prefix(10))) else { return nil }
        str = str.dropFirst(10)
        var ms = Int64(days) * 86_400_000
        var offsetMinutes: Int64 = 0
        if str.hasSuffix("Z") || str.hasSuffix("z") { str = str.dropLast() }
        else if let zi = str.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let z = str[str.index(after: zi)...].replacingOccurrences(of: ":", with: "")
            guard z.count == 4, let hh = Int64(z.prefix(2)), let mm = Int64(z.suffix(2)) else { return nil }
            offsetMinutes = (hh * 60 + mm) * (str[zi] == "-" ? -1 : 1)
            str = str[..<zi]
        }
        if !str.isEmpty {
            guard str.first == " " || str.first == "T" else { return nil }
            var t = String(str.dropFirst())
            if t.split(separator: ":").count == 2 { t += ":00" }
            let frac = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard let whole = frac.first, let ns = parseTime(String(whole)) else { return nil }
            ms += ns / 1_000_000
            if frac.count == 2 {
                let f = String(frac[1].prefix(3))
                guard let v = Int64(f) else { return nil }
                ms += v * Int64(pow(10.0, Double(3 - f.count)))
            }
        }
        return ms - offsetMinutes * 60_000
    }

    static func parseInet(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Decimal digits (optional leading '-') to minimal two's complement big-endian bytes.
    static func twosComplement(_ s: String) -> [UInt8] {
        let neg = s.hasPrefix("-")
        var mag: [UInt8] = [0]                 // big-endian magnitude
        for ch in s.utf8 where Lexer.isDigit(ch) {
            var carry = Int(ch - 0x30)
            for i in stride(from: mag.count - 1, through: 0, by: -1) {
                let v = Int(mag[i]) * 10 + carry
                mag[i] = UInt8(v & 0xFF); carry = v >> 8
            }
            while carry > 0 { mag.insert(UInt8(carry & 0xFF), at: 0); carry >>= 8 }
        }
        while mag.count > 1 && mag[0] == 0 { mag.removeFirst() }
        if !neg || mag == [0] {
            if mag[0] & 0x80 != 0 { mag.insert(0, at: 0) }
            return mag
        }
        // negate: invert and add one
        var out = mag.map { ~$0 }
        var i = out.count - 1
        while i >= 0 { out[i] &+= 1; if out[i] != 0 { break }; i -= 1 }
        if out[0] & 0x80 == 0 { out.insert(0xFF, at: 0) }
        while out.count > 1 && out[0] == 0xFF && out[1] & 0x80 != 0 { out.removeFirst() }
        return out
    }

    /// nil when the exponent is out of the range a mock needs (it would only build huge digit strings).
    static func decimal(_ s: String) -> CQLValue? {
        var mant = s.lowercased()
        var exp = 0
        if let e = mant.firstIndex(of: "e") {
            guard let x = Int(mant[mant.index(after: e)...]), abs(x) <= 10_000 else { return nil }
            exp = x
            mant = String(mant[..<e])
        }
        var scale = 0
        if let dot = mant.firstIndex(of: ".") {
            scale = mant.distance(from: dot, to: mant.endIndex) - 1
            mant.remove(at: dot)
        }
        scale -= exp
        if scale < 0 { mant += String(repeating: "0", count: -scale); scale = 0 }
        guard let sc = Int32(exactly: scale) else { return nil }
        return .decimal(scale: sc, unscaled: twosComplement(mant))
    }

    /// Durations in the `1y2mo3w4d5h6m7s8ms9us10ns` form.
    static func parseDuration(_ s: String) -> CQLValue? {
        var str = s.lowercased()
        let neg = str.hasPrefix("-")
        if neg { str.removeFirst() }
        var months: Int64 = 0, days: Int64 = 0, nanos: Int64 = 0
        var num = ""
        var unit = ""
        func add(_ total: inout Int64, _ n: Int64, _ scale: Int64) -> Bool {
            let (p, o1) = n.multipliedReportingOverflow(by: scale)
            let (s, o2) = total.addingReportingOverflow(p)
            total = s
            return !o1 && !o2
        }
        func flush() -> Bool {
            guard let n = Int64(num) else { return false }
            let ok: Bool
            switch unit {
            case "y": ok = add(&months, n, 12)
            case "mo": ok = add(&months, n, 1)
            case "w": ok = add(&days, n, 7)
            case "d": ok = add(&days, n, 1)
            case "h": ok = add(&nanos, n, 3_600_000_000_000)
            case "m": ok = add(&nanos, n, 60_000_000_000)
            case "s": ok = add(&nanos, n, 1_000_000_000)
            case "ms": ok = add(&nanos, n, 1_000_000)
            case "us", "µs": ok = add(&nanos, n, 1000)
            case "ns": ok = add(&nanos, n, 1)
            default: ok = false
            }
            num = ""; unit = ""
            return ok && Int64(Int32.min)...Int64(Int32.max) ~= months && Int64(Int32.min)...Int64(Int32.max) ~= days
        }
        for ch in str {
            if ch.isNumber {
                if !unit.isEmpty { guard flush() else { return nil } }
                num.append(ch)
            } else {
                unit.append(ch)
            }
        }
        guard !num.isEmpty, flush() else { return nil }
        let sign: Int64 = neg ? -1 : 1
        return .duration(months: Int32(truncatingIfNeeded: months * sign), days: Int32(truncatingIfNeeded: days * sign),
                         nanoseconds: nanos &* sign)
    }
}
