import type { Channel } from '../../../core/model.js';
import type { DirectLineSecret, SatisfactionSurvey } from '../../../core/webchat/webchat-model.js';
import type { PageRequest } from '../../../app/ports/storage.js';
import type { WebchatTx } from '../../../app/ports/webchat-storage.js';
import type { Row, SqlExecutor } from './sql-driver.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (value: unknown): string => new Date(Number(value)).toISOString();
const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
const str = (value: unknown): string => value as string;

const SECRET_COLUMNS = 'id, tenant_id, channel_id, secret_hash, hint, created_at, revoked_at';
const SURVEY_COLUMNS = 'conversation_id, tenant_id, channel_id, rating, comment, created_at';

/** Web chat tables in plain SQL shared by SQLite and PostgreSQL. */
export class SqlWebchatStore implements WebchatTx {
  constructor(private readonly db: SqlExecutor) {}

  async findWebchatChannel(channelId: string): Promise<Channel | undefined> {
    const r = await this.db.get("SELECT id, tenant_id, type, name, config, created_at FROM channels WHERE id = ? AND type = 'webchat'", [channelId]);
    return r && { id: str(r.id), tenantId: str(r.tenant_id), type: 'webchat', name: str(r.name), config: JSON.parse(str(r.config)), createdAt: iso(r.created_at) };
  }

  async findDirectLineSecret(secretHash: string): Promise<DirectLineSecret | undefined> {
    const row = await this.db.get(`SELECT ${SECRET_COLUMNS} FROM directline_secrets WHERE secret_hash = ?`, [secretHash]);
    return row && toSecret(row);
  }
  async getDirectLineSecret(tenantId: string, id: string): Promise<DirectLineSecret | undefined> {
    const row = await this.db.get(`SELECT ${SECRET_COLUMNS} FROM directline_secrets WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toSecret(row);
  }
  async listDirectLineSecrets(tenantId: string, channelId: string): Promise<DirectLineSecret[]> {
    const rows = await this.db.all(`SELECT ${SECRET_COLUMNS} FROM directline_secrets WHERE tenant_id = ? AND channel_id = ? ORDER BY id`, [tenantId, channelId]);
    return rows.map(toSecret);
  }
  async insertDirectLineSecret(s: DirectLineSecret): Promise<void> {
    await this.db.run(`INSERT INTO directline_secrets (${SECRET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      s.id, s.tenantId, s.channelId, s.secretHash, s.hint, ms(s.createdAt), s.revokedAt === null ? null : ms(s.revokedAt),
    ]);
  }
  async revokeDirectLineSecret(tenantId: string, id: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE directline_secrets SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL', [ms(at), id, tenantId])) === 1;
  }

  async getSurvey(tenantId: string, conversationId: string): Promise<SatisfactionSurvey | undefined> {
    const row = await this.db.get(`SELECT ${SURVEY_COLUMNS} FROM satisfaction_surveys WHERE conversation_id = ? AND tenant_id = ?`, [conversationId, tenantId]);
    return row && toSurvey(row);
  }
  async listSurveys(tenantId: string, filter: { readonly channelId?: string | undefined }, page: PageRequest): Promise<SatisfactionSurvey[]> {
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    if (filter.channelId !== undefined) {
      where.push('channel_id = ?');
      params.push(filter.channelId);
    }
    if (page.beforeId !== undefined) {
      where.push('conversation_id < ?');
      params.push(page.beforeId);
    }
    params.push(page.limit);
    const rows = await this.db.all(`SELECT ${SURVEY_COLUMNS} FROM satisfaction_surveys WHERE ${where.join(' AND ')} ORDER BY conversation_id DESC LIMIT ?`, params);
    return rows.map(toSurvey);
  }
  async insertSurvey(s: SatisfactionSurvey): Promise<boolean> {
    const changed = await this.db.run(`INSERT INTO satisfaction_surveys (${SURVEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [
      s.conversationId, s.tenantId, s.channelId, s.rating, s.comment, ms(s.createdAt),
    ]);
    return changed === 1;
  }
}

function toSecret(r: Row): DirectLineSecret {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), channelId: str(r.channel_id), secretHash: str(r.secret_hash), hint: str(r.hint),
    createdAt: iso(r.created_at), revokedAt: isoOrNull(r.revoked_at),
  };
}
function toSurvey(r: Row): SatisfactionSurvey {
  return {
    conversationId: str(r.conversation_id), tenantId: str(r.tenant_id), channelId: str(r.channel_id), rating: Number(r.rating),
    comment: r.comment === null || r.comment === undefined ? null : str(r.comment), createdAt: iso(r.created_at),
  };
}
