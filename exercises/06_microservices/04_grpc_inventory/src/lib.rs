//! A gRPC service with tonic: unary and server-streaming calls, domain errors as status
//! codes, deadlines, and a stream that stops working when its client goes away.

use std::collections::BTreeMap;
#[allow(unused_imports)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[allow(unused_imports)] // you will need them
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// The code generated from `proto/inventory.proto` (by build.rs).
pub mod pb {
    tonic::include_proto!("inventory.v1");
}

use pb::inventory_client::InventoryClient;
use pb::inventory_server::{Inventory, InventoryServer};
use pb::{GetItemRequest, Item, ListItemsRequest, ReserveReply, ReserveRequest};

/// What can go wrong, in the service's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventoryError {
    EmptySku,
    UnknownSku(String),
    InvalidQuantity(i32),
    OutOfStock { sku: String, available: i32 },
}

impl From<InventoryError> for Status {
    fn from(error: InventoryError) -> Status {
        todo!("the gRPC code that says what went wrong")
    }
}

/// How the tests watch the server work.
#[derive(Debug, Default)]
pub struct Meters {
    /// Items a ListItems call has read from the store and handed to its stream.
    pub items_produced: AtomicUsize,
    /// GetItem lookups that ran to the end.
    pub lookups_finished: AtomicUsize,
}

#[allow(dead_code)]
pub struct InventoryService {
    items: Arc<Mutex<BTreeMap<String, Item>>>,
    /// How long reading one item takes (a page of a database, a call to another service).
    read_delay: Duration,
    meters: Arc<Meters>,
}

impl InventoryService {
    pub fn new(items: Vec<Item>, read_delay: Duration) -> (InventoryService, Arc<Meters>) {
        let meters = Arc::new(Meters::default());
        let items = items.into_iter().map(|i| (i.sku.clone(), i)).collect();
        let service = InventoryService {
            items: Arc::new(Mutex::new(items)),
            read_delay,
            meters: Arc::clone(&meters),
        };
        (service, meters)
    }

    pub fn into_server(self) -> InventoryServer<InventoryService> {
        InventoryServer::new(self)
    }

    #[allow(dead_code)]
    fn items(&self) -> MutexGuard<'_, BTreeMap<String, Item>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[tonic::async_trait]
impl Inventory for InventoryService {
    async fn get_item(&self, request: Request<GetItemRequest>) -> Result<Response<Item>, Status> {
        todo!("validate, read (it takes read_delay), answer")
    }

    type ListItemsStream = ReceiverStream<Result<Item, Status>>;

    async fn list_items(
        &self,
        request: Request<ListItemsRequest>,
    ) -> Result<Response<Self::ListItemsStream>, Status> {
        todo!("a producer task that stops when the client is gone, a bounded channel")
    }

    async fn reserve(
        &self,
        request: Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, Status> {
        todo!("validate, then check and take the stock in one step")
    }
}

/// GetItem with a deadline: the server learns it (the `grpc-timeout` header) and stops working
/// on the call when it passes, and the caller gets DEADLINE_EXCEEDED.
pub async fn get_item_within(
    client: &mut InventoryClient<Channel>,
    sku: &str,
    deadline: Duration,
) -> Result<Item, Status> {
    todo!("a request that carries its deadline")
}
