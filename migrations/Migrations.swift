// The numbered `.sql` files beside this one are the only way the schema changes.
// The EmbedFiles plugin compiles them into `EmbeddedMigrations.files`; the migrations
// runner lives in CodeDPOKit/Store. Never edit an applied migration: add a new one and
// update schema/schema.sql to match (a test checks they agree).
public enum MigrationsTarget {}
