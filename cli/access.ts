import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../core/index.js';
import type { Registry, Role } from '../store/index.js';

/**
 * Access for the demo (issue 6): each demo gateway gets its own MQTT login (rotated at every
 * start, so no secret outlives the process), and one user per role gets a fresh password that
 * only the demo prints.
 */
export async function credentialGateways(registry: Registry, gateways: GatewayConfig[]): Promise<GatewayConfig[]> {
  for (const gw of gateways) {
    const { secret } = await registry.identity.setMqttCredential({ username: gw.id, kind: 'gateway', subject: gw.id, org: gw.org });
    gw.mqtt = { ...gw.mqtt, username: gw.id, password: secret };
  }
  return gateways;
}

export interface DemoLogin {
  role: Role;
  user: string;
  org: string | null;
  password: string;
}

export const DEMO_USERS: ReadonlyArray<{ id: string; role: Role; org: string | null; name: string }> = [
  { id: 'admin', role: 'admin', org: null, name: 'Quản trị hệ thống' },
  { id: 'chicuc', role: 'authority', org: 'chi-cuc-tdc', name: 'Chi cục TĐC' },
  { id: 'kiemdinh', role: 'lab', org: 'ttkt-tdc', name: 'Trung tâm Kỹ thuật TĐC' },
  { id: 'chopt', role: 'enterprise', org: 'cho-phan-thiet', name: 'BQL chợ Phan Thiết' },
];

export async function seedDemoUsers(registry: Registry): Promise<DemoLogin[]> {
  const out: DemoLogin[] = [];
  await Promise.all(
    DEMO_USERS.map(async (u) => {
      const password = randomBytes(9).toString('base64url');
      if (registry.identity.getUser(u.id)) await registry.identity.setPassword(u.id, password);
      else await registry.identity.createUser({ ...u, password });
      out.push({ role: u.role, user: u.id, org: u.org, password });
    }),
  );
  return DEMO_USERS.map((u) => out.find((o) => o.user === u.id)!);
}
