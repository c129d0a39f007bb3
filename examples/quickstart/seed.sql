-- Demo data for the quickstart. Runs once, when data/shop.db is created.
CREATE TABLE customers (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  plan  TEXT NOT NULL CHECK (plan IN ('free', 'team', 'enterprise'))
);
CREATE TABLE orders (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  product     TEXT NOT NULL,
  amount_eur  REAL NOT NULL,
  ordered_at  TEXT NOT NULL
);
INSERT INTO customers (id, name, email, plan) VALUES
  (1, 'Ada Lovelace',    'ada@example.com',    'enterprise'),
  (2, 'Grace Hopper',    'grace@example.com',  'team'),
  (3, 'Alan Turing',     'alan@example.com',   'free'),
  (4, 'Katherine Johnson','katherine@example.com','team'),
  (5, 'Edsger Dijkstra', 'edsger@example.com', 'free');
INSERT INTO orders (customer_id, product, amount_eur, ordered_at) VALUES
  (1, 'analytical-engine', 1200.00, '2026-10-01'),
  (1, 'punch-cards',         49.90, '2026-10-15'),
  (2, 'compiler',           399.00, '2026-10-03'),
  (2, 'debugger',            79.00, '2026-11-02'),
  (3, 'enigma-kit',         250.00, '2026-09-20'),
  (4, 'orbit-calculator',   180.00, '2026-11-10'),
  (5, 'shortest-path',       12.50, '2026-11-12');
