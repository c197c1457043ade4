//! Generated code for every payops contract in the workspace's `proto/` folder: prost messages,
//! tonic clients and servers, and the file descriptor set that the kit serves for gRPC
//! reflection. Generated code is never edited; change the `.proto` files instead.
//!
//! Modules follow the proto packages: `proto::payops::common::v1::Money`,
//! `proto::payops::events::v1::Envelope`, and one `payops::<service>::v1` per service.

#![allow(clippy::all, clippy::pedantic, unused_qualifications, missing_docs, reason = "generated code")]

include!(concat!(env!("OUT_DIR"), "/payops_includes.rs"));

/// Encoded `FileDescriptorSet` of every payops proto, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/payops_descriptor.bin"));
