import Foundation

/// CREATE / ALTER / DROP and DESCRIBE.
extension Parser {
    mutating func create() throws(EngineError) -> Statement {
        try expectKeyword("create")
        if acceptKeyword("keyspace") || acceptKeyword("schema") {
            let ine = try ifNotExists()
            let name = try identifier()
            try expectKeyword("with")
            return .createKeyspace(name: name, ifNotExists: ine, options: try optionList())
        }
        if acceptKeyword("table") || acceptKeyword("columnfamily") { return .createTable(try createTable()) }
        if acceptKeyword("type") {
            let ine = try ifNotExists()
            let name = try qualifiedName()
            try expect("(")
            var fields: [(String, TypeSyntax)] = []
            repeat { fields.append((try identifier(), try typeSyntax())) } while accept(",")
            try expect(")")
            return .createType(name: name, ifNotExists: ine, fields: fields)
        }
        if isKeyword("index") || isKeyword("custom") || isKeyword("materialized") || isKeyword("function")
            || isKeyword("aggregate") || isKeyword("trigger") || isKeyword("role") || isKeyword("user")
            || isKeyword("or") {
            throw .invalid("CREATE \(cur.display.uppercased()) is not supported by this mock")
        }
        throw unexpected()
    }

    private mutating func createTable() throws(EngineError) -> CreateTableStatement {
        let ine = try ifNotExists()
        let name = try qualifiedName()
        try expect("(")
        var cols: [ColumnDef] = []
        var pk: [String] = []
        var ck: [String] = []
        repeat {
            if isKeyword("primary") && isKeyword("key", at: 1) {
                advance(); advance()
                guard pk.isEmpty else { throw .invalid("Multiple PRIMARY KEYs specified (exactly one required)") }
                try expect("(")
                if accept("(") {
                    repeat { pk.append(try identifier()) } while accept(",")
                    try expect(")")
                } else {
                    pk.append(try identifier())
                }
                while accept(",") { ck.append(try identifier()) }
                try expect(")")
                continue
            }
            let c = try identifier()
            let t = try typeSyntax()
            var isStatic = false
            if acceptKeyword("static") { isStatic = true }
            if acceptKeyword("primary") {
                try expectKeyword("key")
                guard pk.isEmpty else { throw .invalid("Multiple PRIMARY KEYs specified (exactly one required)") }
                pk = [c]
            }
            cols.append(ColumnDef(name: c, type: t, isStatic: isStatic))
        } while accept(",")
        try expect(")")
        var order: [String: Bool] = [:]
        var options: [String: Term] = [:]
        if acceptKeyword("with") {
            repeat {
                if acceptKeyword("clustering") {
                    try expectKeyword("order")
                    try expectKeyword("by")
                    try expect("(")
                    repeat {
                        let c = try identifier()
                        var desc = false
                        if acceptKeyword("desc") { desc = true } else { _ = acceptKeyword("asc") }
                        order[c] = desc
                    } while accept(",")
                    try expect(")")
                } else if acceptKeyword("compact") {
                    try expectKeyword("storage")
                } else {
                    let sub = try optionList1()
                    options[sub.0] = sub.1
                }
            } while acceptKeyword("and")
        }
        guard !pk.isEmpty else { throw .invalid("No PRIMARY KEY specifed for table '\(name.name)' (exactly one required)") }
        return CreateTableStatement(table: name, ifNotExists: ine, columns: cols, partitionKey: pk,
                                    clusteringKey: ck, clusteringOrder: order, options: options)
    }

    private mutating func optionList1() throws(EngineError) -> (String, Term) {
        let name: String
        if case let .word(w) = cur { advance(); name = w.lowercased() } else { name = try identifier() }
        try expect("=")
        if case let .word(w) = cur, !["true", "false", "null"].contains(w.lowercased()) {
            advance(); return (name, .string(w))
        }
        return (name, try term())
    }

    mutating func alter() throws(EngineError) -> Statement {
        try expectKeyword("alter")
        if acceptKeyword("keyspace") || acceptKeyword("schema") {
            let name = try identifier()
            try expectKeyword("with")
            return .alterKeyspace(name: name, options: try optionList())
        }
        guard acceptKeyword("table") || acceptKeyword("columnfamily") else {
            guard ["type", "materialized", "role", "user"].contains(where: { isKeyword($0) }) else { throw unexpected() }
            throw .invalid("ALTER \(cur.display.uppercased()) is not supported by this mock")
        }
        let name = try qualifiedName()
        if acceptKeyword("add") {
            var defs: [ColumnDef] = []
            let paren = accept("(")
            repeat {
                let c = try identifier()
                let t = try typeSyntax()
                defs.append(ColumnDef(name: c, type: t, isStatic: acceptKeyword("static")))
            } while paren && accept(",")
            if paren { try expect(")") }
            return .alterTable(name, .add(defs))
        }
        if acceptKeyword("drop") {
            var cols: [String] = []
            if accept("(") {
                repeat { cols.append(try identifier()) } while accept(",")
                try expect(")")
            } else {
                cols.append(try identifier())
            }
            return .alterTable(name, .drop(cols))
        }
        if acceptKeyword("with") {
            return .alterTable(name, .with(try optionList()))
        }
        throw unexpected(expecting: "K_ADD")
    }

    mutating func drop() throws(EngineError) -> Statement {
        try expectKeyword("drop")
        if acceptKeyword("keyspace") || acceptKeyword("schema") {
            let ie = try ifExists()
            return .dropKeyspace(name: try identifier(), ifExists: ie)
        }
        if acceptKeyword("table") || acceptKeyword("columnfamily") {
            let ie = try ifExists()
            return .dropTable(try qualifiedName(), ifExists: ie)
        }
        if acceptKeyword("type") {
            let ie = try ifExists()
            return .dropType(try qualifiedName(), ifExists: ie)
        }
        if ["index", "materialized", "function", "aggregate", "trigger", "role", "user"].contains(where: { isKeyword($0) }) {
            throw .invalid("DROP \(cur.display.uppercased()) is not supported by this mock")
        }
        throw unexpected()
    }

    mutating func describe() throws(EngineError) -> DescribeTarget {
        let target = try describeTarget()
        if acceptKeyword("with") { try expectKeyword("internals") }
        return target
    }

    private mutating func describeTarget() throws(EngineError) -> DescribeTarget {
        if acceptKeyword("full") {
            try expectKeyword("schema")
            return .schema(full: true)
        }
        if acceptKeyword("schema") { return .schema(full: false) }
        if acceptKeyword("cluster") { return .cluster }
        if acceptKeyword("keyspaces") { return .keyspaces }
        if acceptKeyword("tables") || acceptKeyword("columnfamilies") { return .tables }
        if acceptKeyword("types") { return .types }
        if acceptKeyword("functions") { return .functions }
        if acceptKeyword("aggregates") { return .aggregates }
        let only = acceptKeyword("only")
        if acceptKeyword("keyspace") {
            if cur == .end || cur == .symbol(";") || isKeyword("with") { return .keyspace(nil, only: only) }
            return .keyspace(try identifier(), only: only)
        }
        if only { throw unexpected(expecting: "K_KEYSPACE") }
        if acceptKeyword("table") || acceptKeyword("columnfamily") { return .table(try qualifiedName()) }
        if acceptKeyword("type") { return .type(try qualifiedName()) }
        for kind in ["index", "function", "aggregate"] where acceptKeyword(kind) {
            return .other(kind, try qualifiedName())
        }
        if acceptKeyword("materialized") {
            try expectKeyword("view")
            return .other("materialized view", try qualifiedName())
        }
        return .generic(try qualifiedName())
    }
}
