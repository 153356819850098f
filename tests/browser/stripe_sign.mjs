// Signs a webhook payload with the official `stripe` package (its test helper), for the
// cross-check in tests/integration/billing.rs: the payload comes on stdin, the secret in
// STRIPE_WEBHOOK_SECRET; prints the Stripe-Signature header.
import Stripe from 'stripe';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const payload = Buffer.concat(chunks).toString('utf8');
const stripe = new Stripe('sk_test_unused');
process.stdout.write(
  stripe.webhooks.generateTestHeaderString({
    payload,
    secret: process.env.STRIPE_WEBHOOK_SECRET,
  }),
);
