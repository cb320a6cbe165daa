// `SqliteProvider` and `PostgresProvider`: a provider holds the id of a store
// resource, which runtimes and clients made from it share.
import { op_store_in_memory, op_store_open_postgres, op_store_open_sqlite, op_store_skip_time } from "ext:core/ops";

/** The store resource of a provider, or a TypeError naming what is expected. */
export function storeOf(provider) {
  if (!provider || typeof provider._store !== "number") {
    throw new TypeError("expected a provider from SqliteProvider.open/inMemory or PostgresProvider.connect");
  }
  return provider._store;
}

/**
 * duroxide/testing's clock on `provider`'s store: `byMs` null fires the next timer when nothing can run and
 * resolves to the jump in ms (null when busy or no timer waits); a number fires what is due within it and
 * resolves to it when something can run now (null when idle).
 */
export function skipTime(provider, byMs) {
  return op_store_skip_time(storeOf(provider), byMs);
}

export class SqliteProvider {
  constructor(store) {
    this._store = store;
    this._type = "sqlite";
  }
  static async open(path) {
    return new SqliteProvider(await op_store_open_sqlite(String(path)));
  }
  static async inMemory() {
    return new SqliteProvider(await op_store_in_memory());
  }
}

export class PostgresProvider {
  constructor(store) {
    this._store = store;
    this._type = "postgres";
  }
  /** Schema `public`. */
  static async connect(databaseUrl) {
    return new PostgresProvider(await op_store_open_postgres(String(databaseUrl), null));
  }
  /** The schema is created if missing; two schemas on one database are isolated. */
  static async connectWithSchema(databaseUrl, schema) {
    return new PostgresProvider(await op_store_open_postgres(String(databaseUrl), String(schema)));
  }
  static async connectWithEntra() {
    throw new Error(
      "PostgreSQL with Microsoft Entra ID authentication is not supported by this build; use connect(url) with a password",
    );
  }
  static async connectWithSchemaAndEntra() {
    return PostgresProvider.connectWithEntra();
  }
}
