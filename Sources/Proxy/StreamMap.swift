/// Requests in flight by the client's stream id. Drivers hand out small ids, lowest free first, so ids below
/// `denseLimit` index an array directly (grown to the highest id seen, at most 8 KiB): no hashing, no probing,
/// one cache line per eight ids. Other ids (large or negative) go to open addressing with linear probing and
/// a multiplicative (Fibonacci) hash. (A `Dictionary` ran SipHash four times per request, 12% of the proxy's
/// instructions under load; the hashed table alone still cost 7% in cache misses at 128 in flight.) Nothing
/// is allocated until the first request; a removal shifts the rest of its run back, so there are no tombstones.
struct StreamMap<Value: AnyObject> {
    static var denseLimit: Int { 1024 }
    /// Ids 0..<dense.capacity, made on the first such id (an idle client has none). A class: the map lives in
    /// its session and is never copied, so the slots are mutated in place with no copy-on-write check, and
    /// values are moved in and out without extra retains.
    private var dense: DenseSlots<Value>?
    private var keys: [Int16] = []
    private var values: [Value?] = []
    private(set) var count = 0
    /// Entries in the hashed part (`keys`/`values`); its load factor is kept at most 1/2.
    private var hashedCount = 0
    /// 32 - log2(capacity): the hash's top bits pick the slot.
    private var shift = 32

    var isEmpty: Bool { count == 0 }

    subscript(key: Int16) -> Value? {
        get {
            if key >= 0 && Int(key) < Self.denseLimit { return dense?[Int(key)] }
            return find(key).map { values[$0]! }
        }
        set {
            if let newValue {
                if !insertIfAbsent(key, newValue) { replace(key, newValue) }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    var allValues: [Value] { (dense?.values ?? []) + values.compactMap { $0 } }

    /// Adds `value` unless `key` is present; false (and no change) when it is. One probe for the request path's
    /// "is this stream id free" and "take it". The value is taken over (the caller's reference moves in, no
    /// retain): a refused one is released here.
    mutating func insertIfAbsent(_ key: Int16, _ value: consuming Value) -> Bool {
        if key >= 0 && Int(key) < Self.denseLimit {
            if dense == nil { dense = DenseSlots<Value>() }   // written once: a store per request cost a retain
            guard dense.unsafelyUnwrapped.insertIfEmpty(Int(key), value, limit: Self.denseLimit) else { return false }
            count += 1
            return true
        }
        if (hashedCount + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var i = home(key, mask: mask)
        while values[i] != nil {
            if keys[i] == key { return false }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        hashedCount += 1
        count += 1
        return true
    }

    /// Removes and returns the value for `key`, in one probe (the answer path's lookup and removal).
    @discardableResult
    mutating func removeValue(forKey key: Int16) -> Value? {
        if key >= 0 && Int(key) < Self.denseLimit {
            guard let value = dense?.take(Int(key)) else { return nil }
            count -= 1
            return value
        }
        guard let i = find(key) else { return nil }
        let value = values[i]
        removeAt(i)
        return value
    }

    /// Removes the value for `key` if it is `value` itself, and hands it back (owned: the caller can pass it on
    /// without a retain). Another request under the same id (the client reused an id whose request the proxy
    /// already answered) stays.
    mutating func remove(_ key: Int16, ifIdenticalTo value: Value) -> Value? {
        if key >= 0 && Int(key) < Self.denseLimit {
            guard let dense, dense[Int(key)] === value, let removed = dense.take(Int(key)) else { return nil }
            count -= 1
            return removed
        }
        guard let i = find(key), values[i] === value else { return nil }
        let removed = values[i]
        removeAt(i)
        return removed
    }

    @inline(__always)
    private func home(_ key: Int16, mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt32(UInt16(bitPattern: key)) &* 0x9E37_79B1) >> UInt32(shift)) & mask
    }

    private func find(_ key: Int16) -> Int? {
        guard hashedCount > 0 else { return nil }
        let mask = keys.count - 1
        var i = home(key, mask: mask)
        while values[i] != nil {
            if keys[i] == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Replaces the value of a key known to be present.
    private mutating func replace(_ key: Int16, _ value: Value) {
        if key >= 0 && Int(key) < Self.denseLimit {
            _ = dense?.take(Int(key))
            _ = dense?.insertIfEmpty(Int(key), value, limit: Self.denseLimit)
        } else if let i = find(key) {
            values[i] = value
        }
    }

    private mutating func removeAt(_ slot: Int) {
        var hole = slot
        values[hole] = nil
        hashedCount -= 1
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
        let mask = capacity - 1
        for (key, value) in zip(oldKeys, oldValues) {
            guard let value else { continue }
            var i = home(key, mask: mask)
            while values[i] != nil { i = (i + 1) & mask }
            keys[i] = key
            values[i] = value
        }
    }
}

/// Directly indexed slots, grown (doubling, from 16) to include the highest index stored.
final class DenseSlots<Value: AnyObject> {
    private var slots: UnsafeMutablePointer<Value?> = .allocate(capacity: 0)
    private(set) var capacity = 0

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    @inline(__always)
    subscript(i: Int) -> Value? { i < capacity ? slots[i] : nil }

    var values: [Value] { (0..<capacity).compactMap { slots[$0] } }

    /// Stores `value` at `i` unless something is there already.
    @inline(__always)
    func insertIfEmpty(_ i: Int, _ value: consuming Value, limit: Int) -> Bool {
        if i >= capacity { grow(toInclude: i, limit: limit) }
        guard slots[i] == nil else { return false }
        (slots + i).pointee = consume value
        return true
    }

    /// Moves the value at `i` out, leaving the slot empty.
    @inline(__always)
    func take(_ i: Int) -> Value? {
        guard i < capacity else { return nil }
        return slots[i].take()
    }

    private func grow(toInclude i: Int, limit: Int) {
        var newCapacity = max(16, capacity)
        while newCapacity <= i { newCapacity *= 2 }
        newCapacity = min(newCapacity, limit)
        let grown = UnsafeMutablePointer<Value?>.allocate(capacity: newCapacity)
        grown.moveInitialize(from: slots, count: capacity)
        (grown + capacity).initialize(repeating: nil, count: newCapacity - capacity)
        slots.deallocate()
        slots = grown
        capacity = newCapacity
    }
}
