// Interface texts: Vietnamese by default, English beside it. Written for the people who use
// them (officers, lab technicians, station and market managers), not translated word by word.
import vi from './i18n-vi.js';
import en from './i18n-en.js';
// Alert titles and sentences, and the words they use, from the server's alert catalogue
// (analytics/alert-catalogue.ts): written once there, served as this module.
import alerts from './alert-texts.js';

export const TEXT = { vi: { ...vi, ...alerts.vi }, en: { ...en, ...alerts.en } };
