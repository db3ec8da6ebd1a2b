//! The SQLite store: schema, migrations, transactions; engine state in and out.
