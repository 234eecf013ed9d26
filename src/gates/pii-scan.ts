import { isValidPhoneNumber } from 'libphonenumber-js';
import validator from 'validator';

/**
 * Finds candidates for personal data in one pass over the text, without regular
 * expressions that could backtrack: every candidate is looked at within a bounded
 * window (an e-mail address is at most 254 characters, a card number 19 digits, an
 * IBAN 34 characters, a phone number 15 digits), then confirmed by validator (e-mail
 * syntax, Luhn for cards, IBAN check digits) or libphonenumber-js. The work is linear
 * in the length of the text, whatever the text is.
 */

const MAX_EMAIL = 254;
const CARD_DIGITS = { min: 13, max: 19 };
const IBAN_CHARS = { min: 15, max: 34 };
const PHONE_DIGITS = { min: 7, max: 15 };
/** Longest stretch looked at after a `+`: 15 digits with a separator between each. */
const MAX_PHONE_CHARS = 40;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;
/** A regular expression's `\w`: where `\b` sees no boundary. */
const isWord = (c: number) => isDigit(c) || isUpper(c) || isLower(c) || c === 95;
const at = (text: string, i: number) => (i < text.length && i >= 0 ? text.charCodeAt(i) : -1);

/** Characters that end an e-mail candidate: whitespace, quotes, brackets and list punctuation. */
function endsEmail(c: number): boolean {
  return c <= 32 || c === 34 || c === 39 || c === 44 || c === 59 || c === 60 || c === 62 || c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125 || c === 96 || c === 124 || c === 0xa0;
}

/**
 * What one slice of a scan found: candidates that start in [from, to) are counted, reading
 * past `to` as far as a candidate reaches; the next slice starts at `next` (≥ to).
 */
export interface SliceCount {
  count: number;
  next: number;
}

/** E-mail addresses: tokens between delimiters that hold an `@`, trailing sentence punctuation left out. */
export function scanEmails(text: string, from = 0, to = text.length): SliceCount {
  let count = 0;
  let i = from;
  while (i < to) {
    if (endsEmail(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let lastAt = -1;
    let dotAfterAt = false;
    for (; i < text.length && !endsEmail(text.charCodeAt(i)); i++) {
      const c = text.charCodeAt(i);
      if (c === 64) {
        lastAt = i;
        dotAfterAt = false;
      } else if (c === 46 && lastAt !== -1) {
        dotAfterAt = true;
      }
    }
    let end = i;
    while (end > start && '.:!?'.includes(text[end - 1]!)) end--;
    // Cheap shape first (something@something.something), then validator on a bounded token.
    const shaped = lastAt > start && dotAfterAt && end - lastAt > 3 && end - start <= MAX_EMAIL;
    if (shaped && validator.isEmail(text.slice(start, end))) count++;
  }
  return { count, next: i };
}

/**
 * Card numbers: 13 to 19 digits, single spaces or dashes between them allowed, standing
 * alone (no letter or digit right before or after). From each place such a number may
 * start, the longest one is taken, as a regular expression would, and the scan goes on
 * after it.
 */
export function scanCards(text: string, from = 0, to = text.length): SliceCount {
  let count = 0;
  let i = from;
  while (i < to) {
    if (!isDigit(at(text, i)) || isWord(at(text, i - 1))) {
      i++;
      continue;
    }
    let digits = '';
    let best: { digits: string; end: number } | null = null;
    let j = i;
    while (digits.length < CARD_DIGITS.max) {
      const c = at(text, j);
      if (isDigit(c)) {
        digits += text[j];
        j++;
        if (digits.length >= CARD_DIGITS.min && !isWord(at(text, j))) best = { digits, end: j };
      } else if ((c === 32 || c === 45) && isDigit(at(text, j + 1))) {
        j++;
      } else {
        break;
      }
    }
    if (best === null) {
      i++;
      continue;
    }
    if (luhn(best.digits) && validator.isCreditCard(best.digits)) count++;
    i = best.end;
  }
  return { count, next: Math.max(i, to) };
}

/** The Luhn checksum, so validator only sees numbers that can be cards. */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let k = 0; k < digits.length; k++) {
    let d = digits.charCodeAt(digits.length - 1 - k) - 48;
    if (k % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * IBANs: two capital letters and two digits, then capitals and digits with single spaces
 * allowed between them, 15 to 34 characters in all, standing alone. Longest first from
 * each start, as with cards.
 */
export function scanIbans(text: string, from = 0, to = text.length): SliceCount {
  let count = 0;
  let i = from;
  while (i < to && i + 4 <= text.length) {
    const opens = isUpper(at(text, i)) && isUpper(at(text, i + 1)) && isDigit(at(text, i + 2)) && isDigit(at(text, i + 3)) && !isWord(at(text, i - 1));
    if (!opens) {
      i++;
      continue;
    }
    let compact = text.slice(i, i + 4);
    let best: { compact: string; end: number } | null = null;
    let j = i + 4;
    while (compact.length < IBAN_CHARS.max) {
      const c = at(text, j);
      if (isUpper(c) || isDigit(c)) {
        compact += text[j];
        j++;
        if (compact.length >= IBAN_CHARS.min && !isWord(at(text, j))) best = { compact, end: j };
      } else if (c === 32 && (isUpper(at(text, j + 1)) || isDigit(at(text, j + 1)))) {
        j++;
      } else {
        break;
      }
    }
    if (best === null) {
      i++;
      continue;
    }
    if (validator.isIBAN(best.compact)) count++;
    i = best.end;
  }
  return { count, next: Math.max(i, to) };
}

/** Separators people write inside a phone number. */
const inPhone = (c: number) => isDigit(c) || c === 32 || c === 45 || c === 46 || c === 40 || c === 41 || c === 47;

/**
 * Phone numbers in international form (without a default country, only `+` numbers can be
 * told apart from other figures): from each `+`, the digits and separators that follow, up
 * to 40 characters; 7 to 15 digits go to libphonenumber-js.
 */
export function scanPhones(text: string, from = 0, to = text.length): SliceCount {
  let count = 0;
  let i = text.indexOf('+', from);
  for (; i !== -1 && i < to; i = text.indexOf('+', i + 1)) {
    let j = i + 1;
    let digits = 0;
    let end = i + 1;
    while (j < text.length && j - i < MAX_PHONE_CHARS && inPhone(at(text, j))) {
      if (isDigit(at(text, j))) {
        digits++;
        end = j + 1;
      }
      j++;
    }
    // A number glued to more digits or letters is part of something else.
    if (digits < PHONE_DIGITS.min || digits > PHONE_DIGITS.max || isWord(at(text, end)) || isWord(at(text, i - 1))) continue;
    if (validPhone(text.slice(i, end))) {
      count++;
      i = end - 1;
    }
  }
  // The next `+` is where the next slice starts: text without one is looked at once.
  return { count, next: i === -1 ? text.length : Math.max(i, to) };
}

/** Parsing a phone number is the costliest check; the same number repeated is parsed once. */
const phoneVerdicts = new Map<string, boolean>();

function validPhone(candidate: string): boolean {
  const known = phoneVerdicts.get(candidate);
  if (known !== undefined) return known;
  const valid = isValidPhoneNumber(candidate);
  if (phoneVerdicts.size >= 10_000) phoneVerdicts.clear();
  phoneVerdicts.set(candidate, valid);
  return valid;
}
