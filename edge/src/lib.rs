//! ShipTrack's Cloudflare Worker: answers Discord interactions and posts the weekly digest.
