"""Customer channels: each turns its wire format into `Router.handle_customer_message`
calls and `OutboundMessage`s into its wire format."""
