import { sql, type Kysely } from 'kysely';

/**
 * An uploaded file waiting to be imported is read a slice at a time (`substring`). Stored compressed,
 * every slice decompressed the file from its start, so reading a file took time growing with the square
 * of its size (a 13 MB upload: 16 ms a slice on average, and more the further in). EXTERNAL storage keeps
 * the value out of line but uncompressed, so a slice reads only the chunks it covers. The files are
 * deleted once imported, so the space matters little. Applies to files stored from now on.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE intake_upload_file ALTER COLUMN content SET STORAGE EXTERNAL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE intake_upload_file ALTER COLUMN content SET STORAGE EXTENDED`.execute(db);
}
