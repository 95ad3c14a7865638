import { MetronetError } from '../../core/index.js';
import type { Registry, Role } from '../../store/index.js';

/** A lab or enterprise user acts for an organisation of that kind; admin for none. */
export function checkRoleOrg(registry: Registry, role: Role, org: string | null): void {
  if (role === 'admin' && org) throw new MetronetError('E_BAD_REQUEST', 'an admin belongs to no organisation', { field: 'org', value: org });
  if (role === 'lab' || role === 'enterprise') {
    const o = org ? registry.getOrg(org) : undefined;
    if (!o) throw new MetronetError('E_BAD_REQUEST', `a ${role} user needs the id of an existing organisation`, { field: 'org', value: org });
    if (o.kind !== role) throw new MetronetError('E_BAD_REQUEST', `organisation ${org} is a ${o.kind}, not a ${role}`, { field: 'org', value: org });
  }
  // An inspector works for the authority (issue 18): its organisation is one of kind authority.
  if (role === 'inspector') {
    const o = org ? registry.getOrg(org) : undefined;
    if (o?.kind !== 'authority')
      throw new MetronetError('E_BAD_REQUEST', 'an inspector user needs the id of an existing authority organisation', { field: 'org', value: org });
  }
}
