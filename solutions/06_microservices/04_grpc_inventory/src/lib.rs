//! A gRPC service with tonic: unary and server-streaming calls, domain errors as status
//! codes, deadlines, and a stream that stops working when its client goes away.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
        match error {
            InventoryError::EmptySku => Status::invalid_argument("sku must not be empty"),
            InventoryError::UnknownSku(sku) => Status::not_found(format!("no item {sku}")),
            InventoryError::InvalidQuantity(qty) => {
                Status::invalid_argument(format!("qty must be positive, got {qty}"))
            }
            // The request was fine; the system's state does not allow it (retrying the same
            // request will not help until the stock changes).
            InventoryError::OutOfStock { sku, available } => {
                Status::failed_precondition(format!("only {available} of {sku} in stock"))
            }
        }
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

    fn items(&self) -> MutexGuard<'_, BTreeMap<String, Item>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[tonic::async_trait]
impl Inventory for InventoryService {
    async fn get_item(&self, request: Request<GetItemRequest>) -> Result<Response<Item>, Status> {
        let sku = request.into_inner().sku;
        if sku.is_empty() {
            return Err(InventoryError::EmptySku.into());
        }
        tokio::time::sleep(self.read_delay).await;
        let item = self.items().get(&sku).cloned();
        self.meters.lookups_finished.fetch_add(1, Ordering::SeqCst);
        item.map(Response::new)
            .ok_or_else(|| InventoryError::UnknownSku(sku).into())
    }

    type ListItemsStream = ReceiverStream<Result<Item, Status>>;

    async fn list_items(
        &self,
        request: Request<ListItemsRequest>,
    ) -> Result<Response<Self::ListItemsStream>, Status> {
        let prefix = request.into_inner().prefix;
        let skus: Vec<String> = self
            .items()
            .keys()
            .filter(|sku| sku.starts_with(&prefix))
            .cloned()
            .collect();
        // A small buffer: the producer runs at most a few items ahead of the client.
        let (tx, rx) = mpsc::channel(4);
        let (items, meters, delay) = (
            Arc::clone(&self.items),
            Arc::clone(&self.meters),
            self.read_delay,
        );
        tokio::spawn(async move {
            for sku in skus {
                tokio::time::sleep(delay).await;
                let item = items
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&sku)
                    .cloned();
                let Some(item) = item else { continue };
                meters.items_produced.fetch_add(1, Ordering::SeqCst);
                // The client went away (cancelled, deadline, disconnected): stop reading.
                if tx.send(Ok(item)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn reserve(
        &self,
        request: Request<ReserveRequest>,
    ) -> Result<Response<ReserveReply>, Status> {
        let ReserveRequest { sku, qty } = request.into_inner();
        if qty <= 0 {
            return Err(InventoryError::InvalidQuantity(qty).into());
        }
        let mut items = self.items();
        let item = items
            .get_mut(&sku)
            .ok_or_else(|| InventoryError::UnknownSku(sku.clone()))?;
        if item.stock < qty {
            return Err(InventoryError::OutOfStock {
                sku,
                available: item.stock,
            }
            .into());
        }
        item.stock -= qty;
        Ok(Response::new(ReserveReply {
            remaining: item.stock,
        }))
    }
}

/// GetItem with a deadline: the server learns it (the `grpc-timeout` header) and stops working
/// on the call when it passes, and the caller gets DEADLINE_EXCEEDED.
pub async fn get_item_within(
    client: &mut InventoryClient<Channel>,
    sku: &str,
    deadline: Duration,
) -> Result<Item, Status> {
    let mut request = Request::new(GetItemRequest {
        sku: sku.to_owned(),
    });
    request.set_timeout(deadline);
    client.get_item(request).await.map(Response::into_inner)
}
