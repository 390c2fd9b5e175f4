// Every migration, in order. They run at start on both databases (Kysely's Migrator).
import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from './dialect.js';
import { foundation } from './001_foundation.js';
import { groups } from './002_groups.js';
import { groupFiles } from './003_group_files.js';
import { threads } from './004_threads.js';
import { chatroomsModeration } from './005_chatrooms_moderation.js';
import { messages } from './006_messages.js';
import { agora } from './007_agora.js';
import { conversationLogs } from './008_conversation_logs.js';
import { clientRest } from './009_client_rest.js';
import { tokenCutoff } from './010_token_cutoff.js';
import { chatfiles } from './011_chatfiles.js';
import { messageRecords } from './012_message_records.js';
import { messageEdits } from './013_message_edits.js';
import { workers } from './014_workers.js';

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001_foundation': foundation(dialect),
        '002_groups': groups(dialect),
        '003_group_files': groupFiles(dialect),
        '004_threads': threads(dialect),
        '005_chatrooms_moderation': chatroomsModeration(dialect),
        '006_messages': messages(dialect),
        '007_agora': agora(dialect),
        '008_conversation_logs': conversationLogs(dialect),
        '009_client_rest': clientRest(dialect),
        '010_token_cutoff': tokenCutoff(dialect),
        '011_chatfiles': chatfiles(dialect),
        '012_message_records': messageRecords(),
        '013_message_edits': messageEdits(dialect),
        '014_workers': workers(dialect),
      };
    },
  };
}
