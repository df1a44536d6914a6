/// Requests in flight by the client's stream id: open addressing with linear probing and a multiplicative
/// (Fibonacci) hash, one multiply per lookup. A `Dictionary` ran SipHash four times per request, 12% of the
/// proxy's instructions under load. (The id itself as the slot was worse: drivers use dense ids, which then
/// form one long run that every removal walks.) Nothing is allocated until the first request; a removal
/// shifts the rest of its run back, so there are no tombstones.
struct StreamMap<Value: AnyObject> {
    private var keys: [Int16] = []
    private var values: [Value?] = []
    private(set) var count = 0
    /// 32 - log2(capacity): the hash's top bits pick the slot.
    private var shift = 32

    var isEmpty: Bool { count == 0 }

    subscript(key: Int16) -> Value? {
        get { find(key).map { values[$0]! } }
        set {
            if let newValue { insert(key, newValue) } else { remove(key) }
        }
    }

    var allValues: [Value] { values.compactMap { $0 } }

    @inline(__always)
    private func home(_ key: Int16, mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt32(UInt16(bitPattern: key)) &* 0x9E37_79B1) >> UInt32(shift)) & mask
    }

    private func find(_ key: Int16) -> Int? {
        guard count > 0 else { return nil }
        let mask = keys.count - 1
        var i = home(key, mask: mask)
        while values[i] != nil {
            if keys[i] == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    private mutating func insert(_ key: Int16, _ value: Value) {
        if let i = find(key) { values[i] = value; return }
        if (count + 1) * 2 > keys.count { grow() }   // load factor at most 1/2: short runs
        let mask = keys.count - 1
        var i = home(key, mask: mask)
        while values[i] != nil { i = (i + 1) & mask }
        keys[i] = key
        values[i] = value
        count += 1
    }

    private mutating func remove(_ key: Int16) {
        guard var hole = find(key) else { return }
        values[hole] = nil
        count -= 1
        let mask = keys.count - 1
        var i = (hole + 1) & mask
        while values[i] != nil {
            // The entry at i may fill the hole if its home is not after the hole (cyclically) on its probe path.
            if (i - home(keys[i], mask: mask)) & mask >= (i - hole) & mask {
                keys[hole] = keys[i]
                values[hole] = values[i]
                values[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let capacity = max(8, keys.count * 2)
        shift = 32 - capacity.trailingZeroBitCount
        keys = [Int16](repeating: 0, count: capacity)
        values = [Value?](repeating: nil, count: capacity)
        count = 0
        for (key, value) in zip(oldKeys, oldValues) { if let value { insert(key, value) } }
    }
}
