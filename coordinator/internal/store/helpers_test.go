package store

import "database/sql"

func sqlNamed(name string) sql.NamedArg { return sql.Named(name, 0) }
