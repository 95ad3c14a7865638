// Interface texts: Vietnamese by default, English beside it. Written for the people who use
// them (officers, lab technicians, station and market managers), not translated word by word.
import vi from './i18n-vi.js';
import en from './i18n-en.js';

export const TEXT = { vi, en };
