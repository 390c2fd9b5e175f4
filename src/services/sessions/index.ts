// The session core: connected devices, their positions in the conversation logs, delivery and
// kicks, for every client protocol alike (DESIGN.md "Client protocols are codecs over one session
// core"). The JSON `/ws` pushes entries as they come (push mode); msync announces them and lets the
// client pull (pull mode). Nothing here knows a frame, a socket or a protocol's codes.
import type { Fanout } from '../../coord/fanout.js';
import type { ConversationsRepository } from '../../store/conversations.js';
import type { GroupsRepository } from '../../store/groups.js';
import type { UserRow, UsersRepository } from '../../store/users.js';
import type { App } from '../apps.js';
import type { RoomKind } from './conversations.js';
import { PositionWriter } from './positions.js';
import { Session, type SessionDevice, type SessionSink } from './session.js';

export { Session, PULL_BATCH, type SessionSink, type SessionDevice, type PendingView, type Pulled } from './session.js';

/** Devices remembered per user; the least recently connected beyond this are forgotten. */
export const MAX_DEVICES_PER_USER = 32;

export class SessionsService {
  private readonly positions: PositionWriter;
  private readonly sessions = new Set<Session>();

  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly rooms: Record<RoomKind, GroupsRepository>,
    private readonly fanout: Fanout,
    private readonly onError: (err: unknown, what: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly users?: Pick<UsersRepository, 'findByUuid'>,
  ) {
    this.positions = new PositionWriter(conversations, (err) => onError(err, 'storing device positions'));
  }

  /**
   * A device of `user` connects. It is subscribed to live notices at once (so that nothing sent
   * from now on passes it by), then recorded (a new one starts where the user's other devices
   * are) and, in push mode, sent what it has not had. `session.ready` settles once it is recorded.
   */
  open(app: App, user: UserRow, device: SessionDevice, sink: SessionSink): Session {
    const session = new Session(app, user, device, sink, {
      conversations: this.conversations,
      rooms: this.rooms,
      positions: this.positions,
      fanout: this.fanout,
      onError: this.onError,
      ...(this.users ? { users: this.users } : {}),
    });
    this.sessions.add(session);
    session.start(async () => {
      // Positions moved by an earlier session of this device may still be on their way.
      await this.positions.flush();
      const { connection } = await this.conversations.touchDevice(app.uuid, user.username, device.resource, this.now(), MAX_DEVICES_PER_USER);
      session.connection = connection;
    });
    return session;
  }

  /** Lets a session go (its positions stored first). */
  async close(session: Session): Promise<void> {
    try {
      await session.close();
    } finally {
      this.sessions.delete(session);
    }
  }

  /** Connected sessions in this process. */
  get size(): number {
    return this.sessions.size;
  }

  /**
   * Lets every session of this process go (server shutdown, once the sockets are being closed):
   * their positions stored and their devices released, so that they continue on another process
   * from where they stopped.
   */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.sessions].map((s) => this.close(s)));
  }

  /** Stores every position moved so far (server shutdown). */
  async flush(): Promise<void> {
    await this.positions.flush();
    this.positions.stop();
  }
}
