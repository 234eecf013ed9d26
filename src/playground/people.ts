/** Who the person picker lets you be; their groups are what the stand-in answers to usergroups.users.list. */
export interface Person {
  id: string;
  name: string;
  role: string;
}

export const PEOPLE = {
  ada: { id: 'U0ADA', name: 'Ada', role: 'developer: asks for promotions' },
  quinn: { id: 'U0QUINN', name: 'Quinn', role: 'QA: approves staging' },
  rita: { id: 'U0RITA', name: 'Rita', role: 'release manager: approves production' },
  omar: { id: 'U0OMAR', name: 'Omar', role: 'on-call: rolls production back' },
  mallory: { id: 'U0MALLORY', name: 'Mallory', role: 'a stranger: in no group' },
} as const satisfies Record<string, Person>;

export const USERGROUPS: Record<string, string[]> = {
  S0QA: [PEOPLE.quinn.id],
  S0RELEASE: [PEOPLE.rita.id],
  S0ONCALL: [PEOPLE.omar.id],
};

export const CHANNELS = { deploys: { id: 'C0DEPLOYS', name: 'deploys' }, production: { id: 'C0PROD', name: 'prod-deploys' } } as const;
