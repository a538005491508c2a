/**
 * The demo shop's data: a few users, 5,000 products (one of them a limited drop), carts, sessions and
 * referral codes, all in memory. Each `createShopState()` is independent, so every test starts fresh.
 *
 * Passwords are kept in plain text and compared directly: this is a demo of an unprotected API, not
 * an example of how to store credentials.
 */
import { randomBytes } from 'node:crypto';

export interface User {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

export interface Product {
  readonly id: number;
  readonly name: string;
  readonly priceCents: number;
  /** Units left; null when the product is not stock-limited. */
  stock: number | null;
}

/** The users every shop starts with (username / password), for the demo and its tests. */
export const DEMO_USERS: readonly Omit<User, 'id'>[] = [
  { username: 'alice', email: 'alice@example.com', password: 'wonderland' },
  { username: 'bob', email: 'bob@example.com', password: 'builder' },
  { username: 'carol', email: 'carol@example.com', password: 'christmas' },
  { username: 'dave', email: 'dave@example.com', password: 'hunter22' },
  { username: 'erin', email: 'erin@example.com', password: 'correct-horse' },
];

/** Valid referral codes and the credit each gives. */
export const REFERRAL_CODES: ReadonlyMap<string, number> = new Map([
  ['WELCOME10', 1000],
  ['FRIEND-2026', 500],
  ['SPRING-SALE', 750],
]);

export const PRODUCT_COUNT = 5000;
export const PAGE_SIZE = 20;
/** Product 1 is the drop that bots go for: ten pairs, then it is sold out. */
export const LIMITED_PRODUCT_ID = 1;
export const LIMITED_STOCK = 10;

export interface ShopState {
  findUser(nameOrEmail: string): User | undefined;
  userById(id: number): User | undefined;
  /** Returns the new user, or null when the e-mail (or username) is taken. */
  addUser(email: string, password: string): User | null;
  /** A new session token for the user. */
  openSession(user: User): string;
  /** The user a bearer token belongs to. */
  sessionUser(token: string): User | undefined;
  product(id: number): Product | undefined;
  /** One page of products (1-based); empty beyond the last page. */
  page(n: number): Product[];
  /** The user's cart: product id → quantity. */
  cart(userId: number): Map<number, number>;
}

/**
 * A fresh shop.
 *
 * @example
 * const state = createShopState();
 * state.findUser('alice')?.password // 'wonderland'
 */
export function createShopState(): ShopState {
  const users: User[] = [];
  const byName = new Map<string, User>();
  const sessions = new Map<string, User>();
  const carts = new Map<number, Map<number, number>>();

  const addUser = (username: string, email: string, password: string): User | null => {
    const name = username.toLowerCase();
    const mail = email.toLowerCase();
    if (byName.has(name) || byName.has(mail)) return null;
    const user: User = { id: users.length + 1, username, email, password };
    users.push(user);
    byName.set(name, user);
    byName.set(mail, user);
    return user;
  };
  for (const u of DEMO_USERS) addUser(u.username, u.email, u.password);

  const products: Product[] = [];
  for (let id = 1; id <= PRODUCT_COUNT; id++) {
    const limited = id === LIMITED_PRODUCT_ID;
    products.push({
      id,
      name: limited ? 'Limited sneakers' : `Product ${id}`,
      // Deterministic prices between 4.99 and 103.99 so pages look the same on every run.
      priceCents: limited ? 24_999 : 499 + ((id * 7919) % 100) * 100,
      stock: limited ? LIMITED_STOCK : null,
    });
  }

  return {
    findUser: (nameOrEmail) => byName.get(nameOrEmail.trim().toLowerCase()),
    userById: (id) => users[id - 1],
    addUser: (email, password) => addUser(email, email, password),
    openSession(user) {
      const token = randomBytes(24).toString('base64url');
      sessions.set(token, user);
      return token;
    },
    sessionUser: (token) => sessions.get(token),
    product: (id) => products[id - 1],
    page: (n) => products.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE),
    cart(userId) {
      let cart = carts.get(userId);
      if (cart === undefined) carts.set(userId, (cart = new Map()));
      return cart;
    },
  };
}
