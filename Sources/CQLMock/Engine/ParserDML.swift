import Foundation

/// SELECT, INSERT, UPDATE, DELETE and BATCH.
extension Parser {
    mutating func select() throws(EngineError) -> SelectStatement {
        try expectKeyword("select")
        let json = acceptKeyword("json")
        let distinct = acceptKeyword("distinct")
        var items: [SelectItem]?
        if !accept("*") {
            var list: [SelectItem] = []
            repeat {
                let sel = try selector()
                var alias: String?
                if acceptKeyword("as") { alias = try identifier() }
                list.append(SelectItem(selector: sel, alias: alias))
            } while accept(",")
            items = list
        }
        try expectKeyword("from")
        var st = SelectStatement(table: try qualifiedName(), items: items, distinct: distinct, json: json)
        if acceptKeyword("where") { st.whereClause = try relations() }
        if isKeyword("group") { throw .invalid("GROUP BY is not supported by this mock") }
        if acceptKeyword("order") {
            try expectKeyword("by")
            repeat {
                let c = try identifier()
                var desc = false
                if acceptKeyword("desc") { desc = true } else { _ = acceptKeyword("asc") }
                st.orderBy.append((c, desc))
            } while accept(",")
        }
        if isKeyword("per") {
            advance()
            try expectKeyword("partition")
            try expectKeyword("limit")
            st.perPartitionLimit = try term()
        }
        if acceptKeyword("limit") { st.limit = try term() }
        if acceptKeyword("allow") {
            try expectKeyword("filtering")
            st.allowFiltering = true
        }
        return st
    }

    private mutating func selector() throws(EngineError) -> Selector {
        if case let .word(w) = cur, peekToken(1) == .symbol("(") {
            let f = w.lowercased()
            advance(); advance()
            if f == "count" {
                if accept("*") || (cur == .integer("1") && { advance(); return true }()) {
                    try expect(")")
                    return .countAll
                }
                let c = try identifier()
                try expect(")")
                return .function("count", [c])
            }
            var args: [String] = []
            if !accept(")") {
                repeat { args.append(try identifier()) } while accept(",")
                try expect(")")
            }
            switch f {
            case "writetime" where args.count == 1: return .writetime(args[0])
            case "ttl" where args.count == 1: return .ttl(args[0])
            default: return .function(f, args)
            }
        }
        return .column(try identifier())
    }

    mutating func relations() throws(EngineError) -> [Relation] {
        var rels: [Relation] = []
        repeat {
            if isSymbol("(") { throw .invalid("Multi-column restrictions are not supported by this mock") }
            if isKeyword("token") && peekToken(1) == .symbol("(") {
                advance(); advance()
                var cols: [String] = []
                repeat { cols.append(try identifier()) } while accept(",")
                try expect(")")
                let op: RelationOp
                switch cur {
                case .symbol("="): op = .eq
                case .symbol("<"): op = .lt
                case .symbol(">"): op = .gt
                case .symbol("<="): op = .lte
                case .symbol(">="): op = .gte
                default: throw unexpected()
                }
                advance()
                rels.append(Relation(column: cols.first ?? "", op: op, value: try term(), token: cols))
                continue
            }
            let col = try identifier()
            let op: RelationOp
            switch cur {
            case .symbol("="): op = .eq
            case .symbol("<"): op = .lt
            case .symbol(">"): op = .gt
            case .symbol("<="): op = .lte
            case .symbol(">="): op = .gte
            case .symbol("!="): op = .neq
            case let .word(w) where w.lowercased() == "in": op = .in
            case let .word(w) where w.lowercased() == "contains":
                op = isKeyword("key", at: 1) ? .containsKey : .contains
                if op == .containsKey { advance() }
            default: throw unexpected()
            }
            advance()
            if op == .in {
                if let b = bindMarker() {
                    rels.append(Relation(column: col, op: .in, value: b))
                } else {
                    try expect("(")
                    var items: [Term] = []
                    if !accept(")") {
                        repeat { items.append(try term()) } while accept(",")
                        try expect(")")
                    }
                    rels.append(Relation(column: col, op: .in, value: .list(items)))
                }
            } else {
                rels.append(Relation(column: col, op: op, value: try term()))
            }
        } while acceptKeyword("and")
        return rels
    }

    /// `USING TTL x AND TIMESTAMP y` (either, any order).
    private mutating func usingClause(ttl: inout Term?, timestamp: inout Term?) throws(EngineError) {
        guard acceptKeyword("using") else { return }
        repeat {
            if acceptKeyword("ttl") { ttl = try term() }
            else if acceptKeyword("timestamp") { timestamp = try term() }
            else { throw unexpected(expecting: "K_TTL") }
        } while acceptKeyword("and")
    }

    private mutating func conditions() throws(EngineError) -> LWT {
        guard acceptKeyword("if") else { return .none }
        if acceptKeyword("exists") { return .ifExists }
        var conds: [Condition] = []
        repeat {
            let r = try relations1()
            conds.append(Condition(column: r.column, op: r.op, value: r.value))
        } while acceptKeyword("and")
        return .conditions(conds)
    }

    /// One relation (for IF conditions, which chain with AND themselves).
    private mutating func relations1() throws(EngineError) -> Relation {
        let col = try identifier()
        let op: RelationOp
        switch cur {
        case .symbol("="): op = .eq
        case .symbol("<"): op = .lt
        case .symbol(">"): op = .gt
        case .symbol("<="): op = .lte
        case .symbol(">="): op = .gte
        case .symbol("!="): op = .neq
        default: throw unexpected()
        }
        advance()
        return Relation(column: col, op: op, value: try term())
    }

    mutating func insert() throws(EngineError) -> InsertStatement {
        try expectKeyword("insert")
        try expectKeyword("into")
        let table = try qualifiedName()
        if isKeyword("json") { throw .invalid("INSERT JSON is not supported by this mock") }
        try expect("(")
        var cols: [String] = []
        repeat { cols.append(try identifier()) } while accept(",")
        try expect(")")
        try expectKeyword("values")
        try expect("(")
        var vals: [Term] = []
        repeat { vals.append(try term()) } while accept(",")
        try expect(")")
        var st = InsertStatement(table: table, columns: cols, values: vals)
        if isKeyword("if") {
            _ = try ifNotExists()
            st.lwt = .ifNotExists
        }
        try usingClause(ttl: &st.ttl, timestamp: &st.timestamp)
        guard cols.count == vals.count else {
            throw .invalid("Unmatched column names/values")
        }
        return st
    }

    mutating func update() throws(EngineError) -> UpdateStatement {
        try expectKeyword("update")
        let table = try qualifiedName()
        var ttl: Term?, ts: Term?
        try usingClause(ttl: &ttl, timestamp: &ts)
        try expectKeyword("set")
        var assigns: [Assignment] = []
        repeat { assigns.append(try assignment()) } while accept(",")
        try expectKeyword("where")
        let rels = try relations()
        let lwt = try conditions()
        return UpdateStatement(table: table, assignments: assigns, whereClause: rels, lwt: lwt, ttl: ttl, timestamp: ts)
    }

    private mutating func assignment() throws(EngineError) -> Assignment {
        let col = try identifier()
        if accept("[") {
            let k = try term()
            try expect("]")
            try expect("=")
            return .setElement(col, k, try term())
        }
        try expect("=")
        // `c = c + x` / `c = c - x` / `c = x + c`
        let namesColumn: Bool
        switch cur {
        case let .word(w): namesColumn = w.lowercased() == col
        case let .quoted(q): namesColumn = q == col
        default: namesColumn = false
        }
        if namesColumn, peekToken(1) == .symbol("+") || peekToken(1) == .symbol("-") {
            advance()
            let plus = accept("+")
            if !plus { try expect("-") }
            let v = try term()
            return plus ? .add(col, v) : .subtract(col, v)
        }
        let v = try term()
        if accept("+") {
            let other = try identifier()
            guard other == col else { throw .invalid("Only expressions of the form X = <value> + X are supported.") }
            return .prepend(col, v)
        }
        return .set(col, v)
    }

    mutating func delete() throws(EngineError) -> DeleteStatement {
        try expectKeyword("delete")
        var targets: [DeleteTarget] = []
        if !isKeyword("from") {
            repeat {
                let c = try identifier()
                if accept("[") {
                    let k = try term()
                    try expect("]")
                    targets.append(.element(c, k))
                } else {
                    targets.append(.column(c))
                }
            } while accept(",")
        }
        try expectKeyword("from")
        let table = try qualifiedName()
        var ttl: Term?, ts: Term?
        try usingClause(ttl: &ttl, timestamp: &ts)
        try expectKeyword("where")
        let rels = try relations()
        let lwt = try conditions()
        return DeleteStatement(table: table, targets: targets, whereClause: rels, lwt: lwt, timestamp: ts)
    }

    mutating func batch() throws(EngineError) -> Statement {
        try expectKeyword("begin")
        _ = acceptKeyword("unlogged") || acceptKeyword("counter") || acceptKeyword("logged")
        try expectKeyword("batch")
        var ttl: Term?, ts: Term?
        try usingClause(ttl: &ttl, timestamp: &ts)
        var children: [Statement] = []
        while !isKeyword("apply") {
            switch cur {
            case let .word(w) where ["insert", "update", "delete"].contains(w.lowercased()):
                children.append(try statement())
            case .symbol(";"):
                advance()
            default:
                throw unexpected(expecting: "K_APPLY")
            }
        }
        try expectKeyword("apply")
        try expectKeyword("batch")
        return .batch(children)
    }
}
