/**
 * Which segmented words are worth keeping as a user's terms.
 *
 * Stopwords come from `stopwords-iso` (zh and en), plus fillers common in comments (laughter,
 * interjections, chat abbreviations, units after numbers). The en list of stopwords-iso is very
 * broad: it also holds two-letter country codes and words such as "ai", "web" or "computer", which
 * are real interests here, so a few are taken back out (KEEP).
 */
import { createRequire } from 'node:module';
import { PII_PLACEHOLDERS } from './pii.js';

const require = createRequire(import.meta.url);

function loadIso(): { zh: readonly string[]; en: readonly string[] } {
  const data: unknown = require('stopwords-iso');
  const list = (lang: string): string[] => {
    const v = (data as Record<string, unknown> | null)?.[lang];
    if (!Array.isArray(v) || !v.every((w) => typeof w === 'string')) {
      throw new Error(`stopwords-iso has no string list for "${lang}"`);
    }
    return v as string[];
  };
  return { zh: list('zh'), en: list('en') };
}

/** Comment fillers added to the iso lists (overlap is harmless): laughter, interjections, chat, units. */
// biome-ignore format: word lists laid out by group, many to a line
export const COMMENT_FILLERS: readonly string[] = [
  // zh: laughter and interjections
  '哈', '哈哈', '哈哈哈', '呵', '呵呵', '嘿嘿', '嘻嘻', '嘿', '啊', '啊啊', '呀', '吧', '呢', '嗯', '嗯嗯',
  '哦', '噢', '喔', '额', '呃', '啦', '嘛', '哇', '唉', '哎', '哎呀', '诶', '欸', '吗', '么', '耶', '咯', '哟',
  // zh: verbal fillers and forum words
  '觉得', '感觉', '真的', '一下', '东西', '这个', '那个', '什么', '怎么', '没有', '就是', '还是', '可以', '已经',
  '有点', '一点', '太', '挺', '真', '没', '超', '非常', '特别', '比较',
  '楼主', '沙发', '板凳', '顶', '路过', '围观', '转发', '评论', '回复',
  // zh: possessive pronouns and time words: in every kind of comment, about no topic (the segmenter
  // keeps 我的 and 今天 whole, and stopwords-iso lists 我 and 的 but not them)
  '我的', '你的', '您的', '他的', '她的', '它的', '我们的', '你们的', '他们的', '她们的', '咱们', '咱们的', '大家的', '自己的',
  '今天', '昨天', '明天', '前天', '后天', '今晚', '昨晚', '明晚', '今年', '去年', '明年', '现在', '刚才', '刚刚', '最近',
  '早上', '晚上', '上午', '下午', '中午', '以前', '以后', '后来', '当时', '平时', '一直', '马上', '有人', '真是', '不错',
  // zh: units that follow a number
  '元', '块', '年', '月', '日', '号', '个', '次', '岁',
  // en: laughter, interjections, chat abbreviations
  'lol', 'lmao', 'rofl', 'haha', 'hahaha', 'hehe', 'omg', 'btw', 'imo', 'imho', 'tbh', 'idk', 'pls', 'plz',
  'thx', 'ty', 'ok', 'okay', 'yeah', 'yep', 'yup', 'nope', 'wow', 'hmm', 'um', 'uh', 'gonna', 'wanna',
  'gotta', 'lot', 'lots', 'stuff', 'thing', 'u', 'ur', 'im', 'dont', 'cant', 'wont', 'ive', 'didnt', 'isnt',
  // en: time words the iso list lacks (it has "today" and "now")
  'yesterday', 'tomorrow', 'tonight', 'guys',
];

/** Words in the stopwords-iso en list that carry a topic in user comments. */
// biome-ignore format: word lists laid out by group, many to a line
export const KEEP: readonly string[] = [
  'ai', 'ar', 'ml', 'tv', 'uk', 'web', 'website', 'webpage', 'homepage', 'computer', 'microsoft',
  'research', 'information', 'system',
];

const iso = loadIso();
const keep = new Set(KEEP);

/** All stopwords, lowercase. */
export const STOPWORDS: ReadonlySet<string> = new Set([...iso.zh, ...iso.en, ...COMMENT_FILLERS].filter((w) => !keep.has(w)));

// Whole placeholders only: the bare words ("phone", "email") are real words when a user writes them.
const PLACEHOLDER_WORDS = new Set<string>(Object.values(PII_PLACEHOLDERS));

// Repeated laughter and hesitation: 哈哈哈哈, hahaha, hhhh, lolol, xd, emmm, hmmm, zzz.
const LAUGHTER = /^(?:[哈呵嘿嘻嘎]+|(?:ha|he|ah|xi){2,}h?|h{2,}|l+o+l+(?:o+l+)*|l+m+f*a+o+|x+d+|e*m{2,}|h+m+|u+m+|z{2,})$/;
// Nothing but punctuation, symbols, digits (and number punctuation), or a single Latin letter.
const NO_LETTERS = /^[^\p{L}]*$/u;
const SINGLE_LATIN = /^\p{Script=Latin}$/u;
// A lone Han character is usually a fragment the segmenter could not join (员, 发, 性), not a
// topic word: as a term it is noise, so it is dropped (it still reaches the embedder in `text`).
const SINGLE_HAN = /^\p{Script=Han}$/u;

/** Longest token kept: longer "words" are hashes, keyboard mashing or unsplit junk. */
export const MAX_TOKEN_LENGTH = 32;

/**
 * Lowercase, typographic apostrophes made ASCII (so "don’t" meets the "don't" stopword), and an
 * English possessive dropped ("restaurant's" → "restaurant") unless the word is a stopword ("it's").
 */
export function canonicalToken(word: string): string {
  const token = word.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'");
  return token.endsWith("'s") && !STOPWORDS.has(token) ? token.slice(0, -2) : token;
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(canonicalToken(word));
}

/**
 * Whether a (canonical) token is worth keeping as a term: not a stopword, filler or laughter,
 * not a placeholder, not pure punctuation/symbols/digits (any token without a letter), not a
 * single Latin letter, and at most MAX_TOKEN_LENGTH code units.
 */
export function isContentToken(token: string): boolean {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false;
  if (NO_LETTERS.test(token) || SINGLE_LATIN.test(token) || SINGLE_HAN.test(token)) return false;
  if (PLACEHOLDER_WORDS.has(token) || STOPWORDS.has(token) || LAUGHTER.test(token)) return false;
  return true;
}

/** Canonical content tokens, each once, in order of first appearance, at most `max`. */
export function filterTokens(words: Iterable<string>, max = Number.POSITIVE_INFINITY): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const word of words) {
    if (out.length >= max) break;
    const token = canonicalToken(word);
    if (seen.has(token) || !isContentToken(token)) continue;
    seen.add(token);
    out.push(token);
  }
  return out;
}
