CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, plan TEXT NOT NULL);
INSERT INTO customers (id, name, email, plan) VALUES
  (1, 'Ada Lovelace', 'ada@example.com', 'pro'),
  (2, 'Grace Hopper', 'grace@example.com', 'team');
